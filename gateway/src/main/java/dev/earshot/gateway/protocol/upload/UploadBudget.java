package dev.earshot.gateway.protocol.upload;

/**
 * The gateway-wide budget of uploads in flight: how many may be open at once and how many bytes of buffers they may
 * hold together. An upload reserves what its buffers can hold at most (read-ahead, frame queue) before it holds it,
 * and gives it back when it is answered; an upload that does not fit is refused (503 with {@code Retry-After}), so
 * what clients send never grows the heap beyond the budget. Thread-safe.
 */
final class UploadBudget {

    private final int maxUploads;
    private final long maxBytes;
    private int uploads;
    private long bytes;

    UploadBudget(int maxUploads, long maxBytes) {
        if (maxUploads < 1) {
            throw new IllegalArgumentException("earshot.api.max-uploads-in-flight must be at least 1, not " + maxUploads);
        }
        if (maxBytes < 1) {
            throw new IllegalArgumentException("earshot.api.upload-buffer-budget must be positive, not " + maxBytes);
        }
        this.maxUploads = maxUploads;
        this.maxBytes = maxBytes;
    }

    /** One upload's share: resized as the upload learns its format, released once. Not thread-safe itself. */
    final class Reservation implements AutoCloseable {
        private long held;
        private boolean closed;

        private Reservation(long held) {
            this.held = held;
        }

        /** Grows or shrinks the share to {@code bytes}; false (share unchanged) when the budget cannot give more. */
        boolean resize(long bytes) {
            if (closed) {
                return false;
            }
            synchronized (UploadBudget.this) {
                if (bytes > held && UploadBudget.this.bytes - held + bytes > maxBytes) {
                    return false;
                }
                UploadBudget.this.bytes += bytes - held;
                held = bytes;
                return true;
            }
        }

        long held() {
            return held;
        }

        /** Gives the share back. Idempotent. */
        @Override
        public void close() {
            if (!closed) {
                closed = true;
                synchronized (UploadBudget.this) {
                    uploads--;
                    UploadBudget.this.bytes -= held;
                }
            }
        }
    }

    /** A reservation of {@code bytes} for one more upload, or null when the count or the bytes would go over. */
    synchronized Reservation tryReserve(long bytes) {
        if (uploads >= maxUploads || this.bytes + bytes > maxBytes) {
            return null;
        }
        uploads++;
        this.bytes += bytes;
        return new Reservation(bytes);
    }

    synchronized int uploads() {
        return uploads;
    }

    synchronized long bytes() {
        return bytes;
    }

    int maxUploads() {
        return maxUploads;
    }

    long maxBytes() {
        return maxBytes;
    }
}
