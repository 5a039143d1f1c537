package dev.earshot.gateway.delivery;

import dev.earshot.json.TranscriptJson;
import dev.earshot.spi.transcript.TranscriptEvent;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * The durable, bounded, ordered store of the final transcripts one sink has not taken yet: the folder
 * {@code <data-dir>/spool/<sink-id>/}. It survives a restart of the gateway; {@link SinkChannel} replays it in order.
 *
 * <h2>Layout</h2>
 * <ul>
 *   <li>Segment files {@code <20-digit number>.jsonl}: one {@link dev.earshot.json.TranscriptJson#toJson} per line, append-only.
 *       Events are read from the lowest number up. New events are appended to the highest segment (a new one is
 *       started when it reaches {@code segmentBytes}); events that must go <em>before</em> everything spooled (a
 *       final that was being delivered when the sink went down, and the finals queued behind it in memory) are
 *       written to a new segment numbered below the lowest.</li>
 *   <li>{@code checkpoint}: one line {@code <segment> <offset>} per segment that has been partly read. Rewritten
 *       (write to a temporary file, then atomic rename) after each event is taken. A fully read segment is deleted.</li>
 * </ul>
 *
 * <h2>Durability (fsync policy)</h2>
 * An append returns after the segment file has been forced to the storage device ({@code fsync}): a final the host
 * accepted into the spool survives a power cut. The checkpoint is not forced: after a crash it may lag by a few
 * events, which are then delivered a second time (delivery is at least once; receivers de-duplicate on the event
 * id). A line cut short by a crash while it was written is cut off when the spool is opened again.
 *
 * <h2>Bound</h2>
 * The unread bytes never exceed {@code maxBytes} through {@link #append}: when an event does not fit, policy
 * {@link FullPolicy#DROP_OLDEST} drops the oldest events (each reported to the drop listener) and
 * {@link FullPolicy#REFUSE} rejects the new one (the caller reports it). {@link #pushFront} is not bounded by the
 * limit, since what it receives comes out of the sink's bounded in-memory queue (at most its capacity plus one).
 * Under {@link FullPolicy#REFUSE}, {@link #refusing()} turns true at {@value #REFUSE_PERCENT}% of the limit, so that
 * new sessions are refused while the sessions already open still have room for their finals.
 *
 * <p>Thread-safe: every method holds the spool's monitor. Nothing is read into memory beyond the event being
 * delivered. The folder is created on the first write, so a sink that never falls behind leaves no trace.
 */
public final class FinalSpool implements AutoCloseable {

    public enum FullPolicy {
        REFUSE, DROP_OLDEST;

        public String configName() {
            return this == REFUSE ? "refuse" : "drop-oldest";
        }
    }

    /** Told about every event that leaves the spool undelivered: its id (or the start of a bad line) and why. */
    @FunctionalInterface
    public interface DropListener {
        void dropped(String id, String why);
    }

    /**
     * Where and how big: {@code <data-dir>/spool/<sink-id>} and {@code earshot.sinks.<id>.spool-size} /
     * {@code spool-full}.
     */
    public record Settings(Path dir, long maxBytes, FullPolicy policy) {
        public Settings {
            requireNonNull(dir, "dir is null");
            requireNonNull(policy, "policy is null");
        }
    }

    /** The event at the head of the spool, and where it lies (so that a stale {@link #commit} is recognised). */
    public record Entry(TranscriptEvent event, long segment, long offset, int length) {
    }

    static final int REFUSE_PERCENT = 90;
    private static final System.Logger LOG = System.getLogger(FinalSpool.class.getName());
    private static final Pattern SEGMENT = Pattern.compile("(\\d{20})\\.jsonl");
    private static final long FIRST_SEGMENT = 1L << 40;
    private static final String CHECKPOINT = "checkpoint";
    private static final int MAX_LINE = 16 * 1024 * 1024;

    private static final class Segment {
        final long number;
        long size;
        long readOffset;

        Segment(long number, long size, long readOffset) {
            this.number = number;
            this.size = size;
            this.readOffset = readOffset;
        }
    }

    private final String sinkId;
    private final Path dir;
    private final long maxBytes;
    private final FullPolicy policy;
    private final long segmentBytes;
    private final DropListener dropListener;
    private final TreeMap<Long, Segment> segments = new TreeMap<>();
    private long bytes;
    private long events;
    private long maxBytesSeen;
    private RandomAccessFile tail;
    private long tailNumber = -1;
    private RandomAccessFile reader;
    private long readerNumber = -1;
    private boolean closed;

    /**
     * Opens the spool in {@code dir}, reading what an earlier run left there.
     *
     * @throws UncheckedIOException when the folder exists but cannot be read
     */
    public FinalSpool(String sinkId, Settings settings, DropListener dropListener) {
        this.sinkId = requireNonNull(sinkId, "sinkId is null");
        this.dir = settings.dir();
        long maxBytes = settings.maxBytes();
        FullPolicy policy = settings.policy();
        if (maxBytes < 1024) {
            throw new IllegalArgumentException("spool size " + maxBytes + " is below 1024 bytes");
        }
        this.maxBytes = maxBytes;
        this.policy = requireNonNull(policy, "policy is null");
        this.segmentBytes = Math.max(64 * 1024, Math.min(maxBytes / 8, 8L * 1024 * 1024));
        this.dropListener = requireNonNull(dropListener, "dropListener is null");
        try {
            load();
        } catch (IOException e) {
            throw new UncheckedIOException("sink '" + sinkId + "': cannot read its spool " + dir + ": " + e.getMessage(), e);
        }
        maxBytesSeen = bytes;
    }

    public Path directory() {
        return dir;
    }

    public long maxBytes() {
        return maxBytes;
    }

    public FullPolicy policy() {
        return policy;
    }

    public synchronized long bytes() {
        return bytes;
    }

    /** The most bytes the spool has held since it was opened. */
    public synchronized long maxBytesSeen() {
        return maxBytesSeen;
    }

    public synchronized long events() {
        return events;
    }

    public synchronized boolean isEmpty() {
        return events == 0;
    }

    /** Whether pipelines using this sink must refuse new sessions: policy refuse and the spool nearly full. */
    public synchronized boolean refusing() {
        return policy == FullPolicy.REFUSE && bytes * 100 >= maxBytes * REFUSE_PERCENT;
    }

    /**
     * Appends events behind everything spooled, durably (see the class comment). Returns false, storing nothing,
     * when they do not fit under policy refuse (or do not fit at all).
     *
     * @throws UncheckedIOException when writing fails; nothing is stored then
     */
    public synchronized boolean append(List<TranscriptEvent> batch) {
        ensureOpen();
        byte[] data = encode(batch);
        if (data.length == 0) {
            return true;
        }
        if (bytes + data.length > maxBytes) {
            if (policy == FullPolicy.REFUSE || data.length > maxBytes) {
                return false;
            }
            while (bytes + data.length > maxBytes && events > 0) {
                Entry oldest = readHead(false);
                if (oldest == null) {
                    break;
                }
                advance(oldest.segment(), oldest.length());
                dropListener.dropped(oldest.event() == null ? "?" : oldest.event().id(),
                        "the spool is full (" + maxBytes + " bytes) and its policy is drop-oldest");
            }
        }
        try {
            Files.createDirectories(dir);
            Segment last = segments.isEmpty() ? null : segments.lastEntry().getValue();
            if (last == null || last.size >= segmentBytes) {
                last = newSegment(last == null ? FIRST_SEGMENT : last.number + 1);
            }
            RandomAccessFile file = tailFile(last.number);
            try {
                file.seek(last.size);
                file.write(data);
                file.getFD().sync();
            } catch (IOException e) {
                try {
                    file.setLength(last.size);
                } catch (IOException ignored) {
                    // the file is cut back to its last complete line when the spool is next opened
                }
                closeTail();
                throw e;
            }
            last.size += data.length;
            bytes += data.length;
            events += batch.size();
            maxBytesSeen = Math.max(maxBytesSeen, bytes);
            return true;
        } catch (IOException e) {
            throw new UncheckedIOException("sink '" + sinkId + "': cannot write its spool " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * Stores events in front of everything spooled, durably, in the given order. Not bounded by the limit (see the
     * class comment).
     *
     * @throws UncheckedIOException when writing fails; nothing is stored then
     */
    public synchronized void pushFront(List<TranscriptEvent> batch) {
        ensureOpen();
        byte[] data = encode(batch);
        if (data.length == 0) {
            return;
        }
        long number = segments.isEmpty() ? FIRST_SEGMENT : segments.firstKey() - 1;
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
                // a partial file would be read as events; reported below
            }
            throw new UncheckedIOException("sink '" + sinkId + "': cannot write its spool " + dir + ": " + e.getMessage(), e);
        }
        segments.put(number, new Segment(number, data.length, 0));
        bytes += data.length;
        events += batch.size();
        maxBytesSeen = Math.max(maxBytesSeen, bytes);
        writeCheckpoint();
    }

    /**
     * The oldest event, or null when the spool is empty. Lines that cannot be read back as an event are dropped
     * (reported to the drop listener).
     */
    public synchronized Entry peek() {
        ensureOpen();
        while (events > 0) {
            Entry entry = readHead(true);
            if (entry == null) {
                return null;
            }
            if (entry.event() != null) {
                return entry;
            }
            advance(entry.segment(), entry.length());
        }
        return null;
    }

    /**
     * Removes the entry returned by {@link #peek()} once it was delivered. Does nothing when it is no longer the head
     * (the drop-oldest policy removed it meanwhile).
     */
    public synchronized void commit(Entry entry) {
        if (closed || segments.isEmpty()) {
            return;
        }
        Segment head = segments.firstEntry().getValue();
        if (head.number != entry.segment() || head.readOffset != entry.offset()) {
            return;
        }
        advance(entry.segment(), entry.length());
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        closeTail();
        closeReader();
    }

    // ---- internals ----------------------------------------------------------------------------------------------

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("sink '" + sinkId + "': spool is closed");
        }
    }

    private byte[] encode(List<TranscriptEvent> batch) {
        StringBuilder text = new StringBuilder(batch.size() * 256);
        for (TranscriptEvent event : batch) {
            text.append(TranscriptJson.toJson(event)).append('\n');
        }
        return text.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** Takes {@code length} bytes off the head segment; deletes it when read to the end; saves the checkpoint. */
    private void advance(long segment, int length) {
        Segment head = segments.get(segment);
        head.readOffset += length;
        bytes -= length;
        events--;
        if (head.readOffset >= head.size) {
            boolean isTail = segments.size() == 1;
            if (!isTail || events == 0) {
                segments.remove(segment);
                if (readerNumber == segment) {
                    closeReader();
                }
                if (tailNumber == segment) {
                    closeTail();
                }
                try {
                    Files.deleteIfExists(segmentPath(segment));
                } catch (IOException e) {
                    LOG.log(System.Logger.Level.WARNING, "sink '" + sinkId + "': cannot delete spent spool segment "
                            + segmentPath(segment) + ": " + e.getMessage());
                }
            }
        }
        if (events == 0) {
            // Everything delivered: start over clean (a stray byte count would otherwise linger).
            for (Segment left : new ArrayList<>(segments.values())) {
                try {
                    Files.deleteIfExists(segmentPath(left.number));
                } catch (IOException ignored) {
                    // retried on the next start
                }
            }
            segments.clear();
            closeTail();
            closeReader();
            bytes = 0;
        }
        writeCheckpoint();
    }

    /** Reads the line at the head; its event is null when the line is not a valid event (when {@code parse}). */
    private Entry readHead(boolean parse) {
        while (!segments.isEmpty()) {
            Segment head = segments.firstEntry().getValue();
            if (head.readOffset >= head.size) {
                // A read-out segment kept as the tail; later segments hold the rest.
                if (segments.size() == 1) {
                    return null;
                }
                segments.remove(head.number);
                if (tailNumber == head.number) {
                    closeTail();
                }
                try {
                    Files.deleteIfExists(segmentPath(head.number));
                } catch (IOException ignored) {
                    // retried on the next start
                }
                continue;
            }
            try {
                RandomAccessFile file = readerFile(head.number);
                file.seek(head.readOffset);
                ByteArrayOutputStream line = new ByteArrayOutputStream(512);
                byte[] buffer = new byte[4096];
                int consumed = -1;
                long remaining = head.size - head.readOffset;
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
                if (consumed < 0) {
                    // No newline before the end: cut off by a crash (open() trims these) or longer than any event.
                    int length = (int) Math.min(Integer.MAX_VALUE, head.size - head.readOffset);
                    dropListener.dropped("?", "an incomplete line of " + length + " bytes in " + segmentPath(head.number));
                    bytes -= length;
                    head.readOffset = head.size;
                    events = Math.max(0, events - 1);
                    continue;
                }
                String text = line.toString(StandardCharsets.UTF_8);
                TranscriptEvent event = null;
                try {
                    event = TranscriptEventJson.parse(text);
                } catch (RuntimeException e) {
                    if (parse) {
                        dropListener.dropped(excerpt(text), "its spooled line cannot be read back ("
                                + e.getMessage() + ")");
                    }
                }
                return new Entry(event, head.number, head.readOffset, consumed);
            } catch (IOException e) {
                closeReader();
                throw new UncheckedIOException("sink '" + sinkId + "': cannot read its spool " + dir + ": " + e.getMessage(), e);
            }
        }
        return null;
    }

    private static String excerpt(String text) {
        return text.length() <= 80 ? text : text.substring(0, 80) + "...";
    }

    private Segment newSegment(long number) throws IOException {
        closeTail();
        Segment segment = new Segment(number, 0, 0);
        segments.put(number, segment);
        return segment;
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

    private Path segmentPath(long number) {
        return dir.resolve(String.format("%020d.jsonl", number));
    }

    private void writeCheckpoint() {
        try {
            Path checkpoint = dir.resolve(CHECKPOINT);
            if (segments.isEmpty()) {
                Files.deleteIfExists(checkpoint);
                return;
            }
            StringBuilder text = new StringBuilder();
            for (Segment segment : segments.values()) {
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
            // Not fatal: the events already delivered would be delivered again after a restart.
            LOG.log(System.Logger.Level.WARNING, "sink '" + sinkId + "': cannot save the spool checkpoint in " + dir
                    + ": " + e.getMessage());
        }
    }

    private void load() throws IOException {
        if (!Files.isDirectory(dir)) {
            return;
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
        for (Segment segment : new ArrayList<>(segments.values())) {
            long lines = countLines(segmentPath(segment.number), segment.readOffset, segment.size);
            if (lines == 0) {
                segments.remove(segment.number);
                Files.deleteIfExists(segmentPath(segment.number));
                continue;
            }
            events += lines;
            bytes += segment.size - segment.readOffset;
        }
        if (events == 0) {
            Files.deleteIfExists(checkpoint);
        } else {
            LOG.log(System.Logger.Level.INFO, "sink '" + sinkId + "': " + events + " final(s) (" + bytes
                    + " bytes) waiting in its spool " + dir + " from an earlier run; delivering them first");
        }
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
