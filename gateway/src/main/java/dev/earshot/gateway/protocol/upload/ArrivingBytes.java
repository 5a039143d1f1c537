package dev.earshot.gateway.protocol.upload;

import io.vertx.core.buffer.Buffer;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayDeque;
import java.util.Objects;

/**
 * The part of a request body that has arrived and not been read yet, read as an {@link InputStream} that never
 * blocks: asking for bytes that have not arrived throws {@link #NOT_YET} (and changes nothing), end of stream is
 * reported only after {@link #end()}. So a pull parser ({@code Wav.readHeader}, {@code Wav.pcm16}) can run on the
 * event loop: when it hits {@code NOT_YET}, the caller waits for the next chunk and calls it again. Used on one
 * event loop only.
 */
final class ArrivingBytes extends InputStream {

    /** Thrown when a read needs bytes that have not arrived yet; shared, without a stack trace. */
    static final IOException NOT_YET = new NotYetArrived();

    private final ArrayDeque<Buffer> chunks = new ArrayDeque<>();
    /** Bytes of the first chunk already read. */
    private int headOffset;
    private long size;
    private boolean ended;
    private boolean discarding;

    ArrivingBytes() {
    }

    /** A stream over {@code bytes} (not copied; not changed by reading). */
    ArrivingBytes(Buffer bytes, boolean ended) {
        add(bytes);
        this.ended = ended;
    }

    void add(Buffer chunk) {
        if (!discarding && chunk.length() > 0) {
            chunks.add(chunk);
            size += chunk.length();
        }
    }

    /** No more bytes will arrive: reads past the last one now return -1. */
    void end() {
        ended = true;
    }

    /** Drops what is held and everything added later (the rest of a body nobody reads). */
    void discard() {
        discarding = true;
        chunks.clear();
        headOffset = 0;
        size = 0;
    }

    /** Bytes arrived and not read. */
    long size() {
        return size;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] target, int offset, int length) throws IOException {
        Objects.checkFromIndexSize(offset, length, target.length);
        if (length == 0) {
            return 0;
        }
        if (size == 0) {
            if (ended) {
                return -1;
            }
            throw NOT_YET;
        }
        int copied = 0;
        while (copied < length && !chunks.isEmpty()) {
            Buffer head = chunks.peekFirst();
            int count = Math.min(length - copied, head.length() - headOffset);
            head.getBytes(headOffset, headOffset + count, target, offset + copied);
            copied += count;
            consumed(count);
        }
        return copied;
    }

    @Override
    public long skip(long count) throws IOException {
        if (count <= 0) {
            return 0;
        }
        if (size == 0) {
            if (ended) {
                return 0;
            }
            throw NOT_YET;
        }
        long skipped = 0;
        while (skipped < count && !chunks.isEmpty()) {
            int step = (int) Math.min(count - skipped, chunks.peekFirst().length() - headOffset);
            skipped += step;
            consumed(step);
        }
        return skipped;
    }

    @Override
    public int available() {
        return (int) Math.min(size, Integer.MAX_VALUE);
    }

    private void consumed(int count) {
        headOffset += count;
        size -= count;
        if (headOffset == chunks.peekFirst().length()) {
            chunks.removeFirst();
            headOffset = 0;
        }
    }

    private static final class NotYetArrived extends IOException {
        NotYetArrived() {
            super("the rest of the request body has not arrived yet");
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this;
        }
    }
}
