package dev.earshot.process;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

import static java.util.Objects.requireNonNull;

/**
 * Reads {@code \n}-terminated UTF-8 lines (a trailing {@code \r} removed) keeping at most {@code maxBytes} bytes of
 * each: the rest of a longer line is read and thrown away, and {@link #lastTruncated()} says so. Memory stays
 * bounded whatever a program writes. Not thread-safe.
 */
public final class BoundedLineReader {

    private final InputStream in;
    private final byte[] line;
    private final byte[] buffer = new byte[8192];
    private int position;
    private int limit;
    private boolean truncated;

    public BoundedLineReader(InputStream in, int maxBytes) {
        this.in = requireNonNull(in, "in is null");
        if (maxBytes < 1) {
            throw new IllegalArgumentException("maxBytes must be positive: " + maxBytes);
        }
        this.line = new byte[maxBytes];
    }

    /** The next line, or {@code null} at the end of the stream (a last line without {@code \n} is returned first). */
    public String readLine() throws IOException {
        int length = 0;
        boolean any = false;
        truncated = false;
        while (true) {
            if (position == limit) {
                limit = in.read(buffer);
                position = 0;
                if (limit <= 0) {
                    limit = 0;
                    return any ? text(length) : null;
                }
            }
            any = true;
            byte b = buffer[position++];
            if (b == '\n') {
                return text(length);
            }
            if (length < line.length) {
                line[length++] = b;
            } else {
                truncated = true;
            }
        }
    }

    /** Whether the line {@link #readLine} returned last was longer than the limit and cut. */
    public boolean lastTruncated() {
        return truncated;
    }

    private String text(int length) {
        if (length > 0 && line[length - 1] == '\r') {
            length--;
        }
        return new String(line, 0, length, StandardCharsets.UTF_8);
    }
}
