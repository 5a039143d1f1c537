package dev.earshot.gateway.delivery;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The files of one {@link FinalSpool} in its folder: the segment files and the checkpoint (the layout and the fsync
 * policy are described on {@link FinalSpool}). Reads what an earlier run left, appends with fsync, reads one line at a
 * time, deletes spent segments and saves the checkpoint. What the events mean, the bound and the accounting stay in
 * the spool.
 *
 * <p>Not thread-safe: the spool calls it under its monitor. At most two files are open: the tail being appended to
 * and the head being read.
 */
final class SpoolFolder {

    /** One segment file: its number, its size in bytes and how far it has been read. */
    static final class Segment {
        final long number;
        long size;
        long readOffset;

        Segment(long number, long size, long readOffset) {
            this.number = number;
            this.size = size;
            this.readOffset = readOffset;
        }
    }

    /** A line read from a segment: its text without the newline, and the bytes it takes with the newline. */
    record Line(String text, int length) {
    }

    private static final System.Logger LOG = System.getLogger(SpoolFolder.class.getName());
    private static final Pattern SEGMENT = Pattern.compile("(\\d{20})\\.jsonl");
    private static final String CHECKPOINT = "checkpoint";
    private static final int MAX_LINE = 16 * 1024 * 1024;

    private final String sinkId;
    private final Path dir;
    private RandomAccessFile tail;
    private long tailNumber = -1;
    private RandomAccessFile reader;
    private long readerNumber = -1;

    SpoolFolder(String sinkId, Path dir) {
        this.sinkId = sinkId;
        this.dir = dir;
    }

    Path segmentPath(long number) {
        return dir.resolve(String.format("%020d.jsonl", number));
    }

    /**
     * Reads what an earlier run left into {@code segments}: cuts torn last lines off, applies the checkpoint and
     * deletes segments with nothing left to read. Returns the number of events waiting.
     */
    long load(TreeMap<Long, Segment> segments) throws IOException {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        Map<Long, Long> offsets = new TreeMap<>();
        Path checkpoint = dir.resolve(CHECKPOINT);
        if (Files.isRegularFile(checkpoint)) {
            for (String line : Files.readAllLines(checkpoint, StandardCharsets.UTF_8)) {
                String[] parts = line.trim().split("\\s+");
                if (parts.length == 2) {
                    try {
                        offsets.put(Long.parseLong(parts[0]), Long.parseLong(parts[1]));
                    } catch (NumberFormatException e) {
                        LOG.log(System.Logger.Level.WARNING, "sink '" + sinkId + "': ignoring bad checkpoint line '"
                                + line + "' in " + checkpoint);
                    }
                }
            }
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.jsonl")) {
            for (Path file : files) {
                Matcher m = SEGMENT.matcher(file.getFileName().toString());
                if (m.matches()) {
                    long number = Long.parseLong(m.group(1));
                    long size = trimTornLine(file);
                    long offset = Math.min(offsets.getOrDefault(number, 0L), size);
                    segments.put(number, new Segment(number, size, offset));
                }
            }
        }
        long events = 0;
        for (Segment segment : new ArrayList<>(segments.values())) {
            long lines = countLines(segmentPath(segment.number), segment.readOffset, segment.size);
            if (lines == 0) {
                segments.remove(segment.number);
                Files.deleteIfExists(segmentPath(segment.number));
                continue;
            }
            events += lines;
        }
        if (events == 0) {
            Files.deleteIfExists(checkpoint);
        }
        return events;
    }

    /**
     * Appends {@code data} at the end of {@code segment} and forces it to the storage device, then grows the
     * segment's size. On failure the file is cut back to its old size and nothing is counted.
     */
    void append(Segment segment, byte[] data) throws IOException {
        Files.createDirectories(dir);
        RandomAccessFile file = tailFile(segment.number);
        try {
            file.seek(segment.size);
            file.write(data);
            file.getFD().sync();
        } catch (IOException e) {
            try {
                file.setLength(segment.size);
            } catch (IOException ignored) {
                // the file is cut back to its last complete line when the spool is next opened
            }
            closeTail();
            throw e;
        }
        segment.size += data.length;
    }

    /** Writes a new segment holding {@code data}, forced to the storage device; no file is left on failure. */
    Segment writeSegment(long number, byte[] data) throws IOException {
        Path path = segmentPath(number);
        try {
            Files.createDirectories(dir);
            try (RandomAccessFile file = new RandomAccessFile(path.toFile(), "rw")) {
                file.setLength(0);
                file.write(data);
                file.getFD().sync();
            }
        } catch (IOException e) {
            try {
                Files.deleteIfExists(path);
            } catch (IOException ignored) {
                // a partial file would be read as events; the caller reports the failure
            }
            throw e;
        }
        return new Segment(number, data.length, 0);
    }

    /**
     * Reads the line at the segment's read offset; null when no newline comes before the segment's end (cut off by
     * a crash, or longer than any event).
     */
    Line readLine(Segment segment) throws IOException {
        try {
            RandomAccessFile file = readerFile(segment.number);
            file.seek(segment.readOffset);
            ByteArrayOutputStream line = new ByteArrayOutputStream(512);
            byte[] buffer = new byte[4096];
            int consumed = -1;
            long remaining = segment.size - segment.readOffset;
            while (consumed < 0 && remaining > 0) {
                int n = file.read(buffer, 0, (int) Math.min(buffer.length, remaining));
                if (n <= 0) {
                    break;
                }
                for (int i = 0; i < n; i++) {
                    if (buffer[i] == '\n') {
                        line.write(buffer, 0, i);
                        consumed = line.size() + 1;
                        break;
                    }
                }
                if (consumed < 0) {
                    line.write(buffer, 0, n);
                    remaining -= n;
                    if (line.size() > MAX_LINE) {
                        break;
                    }
                }
            }
            return consumed < 0 ? null : new Line(line.toString(StandardCharsets.UTF_8), consumed);
        } catch (IOException e) {
            closeReader();
            throw e;
        }
    }

    /** Deletes a spent segment file (closing it first); a failure is logged, and retried on the next start. */
    void delete(long number) {
        if (readerNumber == number) {
            closeReader();
        }
        if (tailNumber == number) {
            closeTail();
        }
        try {
            Files.deleteIfExists(segmentPath(number));
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "sink '" + sinkId + "': cannot delete spent spool segment "
                    + segmentPath(number) + ": " + e.getMessage());
        }
    }

    /**
     * Saves how far each partly read segment has been read (write to a temporary file, then atomic rename); deletes
     * the checkpoint when no segment is left. Not fatal on failure: delivered events would be delivered again.
     */
    void writeCheckpoint(Collection<Segment> segments) {
        try {
            Path checkpoint = dir.resolve(CHECKPOINT);
            if (segments.isEmpty()) {
                Files.deleteIfExists(checkpoint);
                return;
            }
            StringBuilder text = new StringBuilder();
            for (Segment segment : segments) {
                if (segment.readOffset > 0) {
                    text.append(segment.number).append(' ').append(segment.readOffset).append('\n');
                }
            }
            Files.createDirectories(dir);
            Path temporary = dir.resolve(CHECKPOINT + ".tmp");
            Files.writeString(temporary, text);
            try {
                Files.move(temporary, checkpoint, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temporary, checkpoint, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "sink '" + sinkId + "': cannot save the spool checkpoint in " + dir
                    + ": " + e.getMessage());
        }
    }

    /** Closes the open files; they are opened again when needed. */
    void closeFiles() {
        closeTail();
        closeReader();
    }

    private RandomAccessFile tailFile(long number) throws IOException {
        if (tail == null || tailNumber != number) {
            closeTail();
            tail = new RandomAccessFile(segmentPath(number).toFile(), "rw");
            tailNumber = number;
        }
        return tail;
    }

    private RandomAccessFile readerFile(long number) throws IOException {
        if (reader == null || readerNumber != number) {
            closeReader();
            reader = new RandomAccessFile(segmentPath(number).toFile(), "r");
            readerNumber = number;
        }
        return reader;
    }

    private void closeTail() {
        if (tail != null) {
            try {
                tail.close();
            } catch (IOException ignored) {
                // nothing left to flush: every append was forced
            }
            tail = null;
        }
        tailNumber = -1;
    }

    private void closeReader() {
        if (reader != null) {
            try {
                reader.close();
            } catch (IOException ignored) {
                // read-only
            }
            reader = null;
        }
        readerNumber = -1;
    }

    /** Cuts a segment back to its last complete line (a crash may have cut the last write short); returns its size. */
    private long trimTornLine(Path file) throws IOException {
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            long size = raf.length();
            long end = size;
            byte[] buffer = new byte[4096];
            while (end > 0) {
                int n = (int) Math.min(buffer.length, end);
                raf.seek(end - n);
                raf.readFully(buffer, 0, n);
                int i = n - 1;
                while (i >= 0 && buffer[i] != '\n') {
                    i--;
                }
                if (i >= 0) {
                    end = end - n + i + 1;
                    break;
                }
                end -= n;
            }
            if (end != size) {
                LOG.log(System.Logger.Level.WARNING, "sink '" + sinkId + "': cutting an incomplete last line ("
                        + (size - end) + " bytes) off spool segment " + file);
                raf.setLength(end);
            }
            return end;
        }
    }

    private static long countLines(Path file, long from, long to) throws IOException {
        long lines = 0;
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
            raf.seek(from);
            byte[] buffer = new byte[64 * 1024];
            long remaining = to - from;
            while (remaining > 0) {
                int n = raf.read(buffer, 0, (int) Math.min(buffer.length, remaining));
                if (n <= 0) {
                    break;
                }
                for (int i = 0; i < n; i++) {
                    if (buffer[i] == '\n') {
                        lines++;
                    }
                }
                remaining -= n;
            }
        }
        return lines;
    }
}
