package dev.earshot.plugins.file;

import dev.earshot.json.TranscriptJson;
import dev.earshot.spi.sink.TranscriptSink;
import dev.earshot.spi.transcript.TranscriptEvent;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;

import static java.util.Objects.requireNonNull;

/**
 * Appends each transcript as one line of JSON ({@link dev.earshot.json.TranscriptJson#toJson}) to a UTF-8 file. An existing file is
 * appended to, so history survives a restart.
 *
 * <p>Each line is written straight to the file (no buffer in between): when {@link #deliver} returns the line is
 * with the operating system, though not necessarily on disk (there is no fsync). A write that fails part-way is
 * cut back off the file, so a retry does not leave a broken line behind.
 *
 * <h2>Rotation</h2>
 * Before a line would take the file past {@code maxBytes}, the file is rotated: {@code <path>.1} becomes
 * {@code <path>.2} and so on, the oldest beyond {@code maxFiles} is deleted, and the file becomes {@code <path>.1}.
 * With {@code maxFiles} 0 no rotated file is kept: the full file is deleted and a new one started. A line longer than
 * {@code maxBytes} gets a file of its own. The size is taken from the file itself, so a file truncated by another
 * tool is measured correctly.
 *
 * <p>Rotation by another tool (logrotate's default: the file is moved away, or deleted) is noticed at the next line:
 * before each write the sink checks that {@code path} is still the file it has open (same file key, i.e. device and
 * inode), and otherwise closes it and starts a new file at {@code path}. logrotate's {@code copytruncate} works too
 * (the size is read from the file).
 */
public final class JsonLinesSink implements TranscriptSink {

    private final Path path;
    private final long maxBytes;
    private final int maxFiles;
    private final boolean partials;
    /** Null after close, or after a rotation failed part-way (reopened by the next delivery). */
    private FileChannel channel;
    /** The identity (device and inode) of the file {@link #channel} writes, or null when the file system has none. */
    private Object fileKey;
    private boolean closed;

    JsonLinesSink(Path path, long maxBytes, int maxFiles, boolean partials) throws IOException {
        this.path = requireNonNull(path, "path is null");
        if (maxBytes <= 0) {
            throw new IllegalArgumentException("maxBytes is not positive: " + maxBytes);
        }
        if (maxFiles < 0) {
            throw new IllegalArgumentException("maxFiles is negative: " + maxFiles);
        }
        this.maxBytes = maxBytes;
        this.maxFiles = maxFiles;
        this.partials = partials;
        this.channel = openChannel();
    }

    @Override
    public boolean acceptsPartials() {
        return partials;
    }

    /** Appends the event, rotating first when needed. Partials are skipped unless {@code partials} is set. */
    @Override
    public synchronized void deliver(TranscriptEvent event) throws IOException {
        requireNonNull(event, "event is null");
        if (closed) {
            throw new IllegalStateException("jsonl sink writing " + path + " is closed");
        }
        if (!event.isFinal() && !partials) {
            return;
        }
        byte[] line = (TranscriptJson.toJson(event) + "\n").getBytes(StandardCharsets.UTF_8);
        if (channel != null && movedAway()) {
            FileChannel current = channel;
            channel = null;
            current.close();
        }
        if (channel == null) {
            channel = openChannel();
        }
        long size = channel.size();
        if (size > 0 && size + line.length > maxBytes) {
            rotate();
            size = 0;
        }
        ByteBuffer buffer = ByteBuffer.wrap(line);
        try {
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
        } catch (IOException e) {
            try {
                channel.truncate(size);
            } catch (IOException truncateFailed) {
                e.addSuppressed(truncateFailed);
            }
            throw e;
        }
    }

    /** Closes the file. Idempotent. */
    @Override
    public synchronized void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        if (channel != null) {
            FileChannel current = channel;
            channel = null;
            current.close();
        }
    }

    Path rotated(int index) {
        return path.resolveSibling(path.getFileName() + "." + index);
    }

    private void rotate() throws IOException {
        FileChannel current = channel;
        channel = null;
        current.close();
        if (maxFiles == 0) {
            Files.deleteIfExists(path);
        } else {
            Files.deleteIfExists(rotated(maxFiles));
            for (int i = maxFiles - 1; i >= 1; i--) {
                Path from = rotated(i);
                if (Files.exists(from)) {
                    Files.move(from, rotated(i + 1), StandardCopyOption.REPLACE_EXISTING);
                }
            }
            Files.move(path, rotated(1), StandardCopyOption.REPLACE_EXISTING);
        }
        channel = openChannel();
    }

    private FileChannel openChannel() throws IOException {
        FileChannel opened = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        try {
            fileKey = Files.readAttributes(path, BasicFileAttributes.class).fileKey();
        } catch (IOException e) {
            opened.close();
            throw e;
        }
        return opened;
    }

    /** Whether {@code path} no longer names the open file: moved or deleted by another tool, maybe replaced. */
    private boolean movedAway() {
        try {
            Object now = Files.readAttributes(path, BasicFileAttributes.class).fileKey();
            return fileKey != null && !fileKey.equals(now);
        } catch (NoSuchFileException e) {
            return true;
        } catch (IOException e) {
            return false; // cannot tell: keep writing where we are
        }
    }
}
