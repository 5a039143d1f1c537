package dev.earshot.gateway.delivery;

import dev.earshot.json.TranscriptJson;
import dev.earshot.spi.transcript.TranscriptEvent;

import dev.earshot.gateway.delivery.SpoolFolder.Segment;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeMap;

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
 * delivered. The folder is created on the first write, so a sink that never falls behind leaves no trace. The files
 * themselves (reading, fsync'd appends, the checkpoint) are handled by {@link SpoolFolder}.
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
    private static final long FIRST_SEGMENT = 1L << 40;

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
    private final SpoolFolder folder;
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
        this.folder = new SpoolFolder(sinkId, dir);
        try {
            events = folder.load(segments);
        } catch (IOException e) {
            throw new UncheckedIOException("sink '" + sinkId + "': cannot read its spool " + dir + ": " + e.getMessage(), e);
        }
        for (Segment segment : segments.values()) {
            bytes += segment.size - segment.readOffset;
        }
        if (events > 0) {
            LOG.log(System.Logger.Level.INFO, "sink '" + sinkId + "': " + events + " final(s) (" + bytes
                    + " bytes) waiting in its spool " + dir + " from an earlier run; delivering them first");
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
        Segment last = segments.isEmpty() ? null : segments.lastEntry().getValue();
        if (last == null || last.size >= segmentBytes) {
            last = new Segment(last == null ? FIRST_SEGMENT : last.number + 1, 0, 0);
            segments.put(last.number, last);
        }
        try {
            folder.append(last, data);
        } catch (IOException e) {
            throw new UncheckedIOException("sink '" + sinkId + "': cannot write its spool " + dir + ": " + e.getMessage(), e);
        }
        bytes += data.length;
        events += batch.size();
        maxBytesSeen = Math.max(maxBytesSeen, bytes);
        return true;
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
        try {
            segments.put(number, folder.writeSegment(number, data));
        } catch (IOException e) {
            throw new UncheckedIOException("sink '" + sinkId + "': cannot write its spool " + dir + ": " + e.getMessage(), e);
        }
        bytes += data.length;
        events += batch.size();
        maxBytesSeen = Math.max(maxBytesSeen, bytes);
        folder.writeCheckpoint(segments.values());
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
        folder.closeFiles();
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
                folder.delete(segment);
            }
        }
        if (events == 0) {
            // Everything delivered: start over clean (a stray byte count would otherwise linger).
            for (Segment left : segments.values()) {
                folder.delete(left.number);
            }
            segments.clear();
            folder.closeFiles();
            bytes = 0;
        }
        folder.writeCheckpoint(segments.values());
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
                folder.delete(head.number);
                continue;
            }
            SpoolFolder.Line line;
            try {
                line = folder.readLine(head);
            } catch (IOException e) {
                throw new UncheckedIOException("sink '" + sinkId + "': cannot read its spool " + dir + ": " + e.getMessage(), e);
            }
            if (line == null) {
                // No newline before the end: cut off by a crash (open() trims these) or longer than any event.
                int length = (int) Math.min(Integer.MAX_VALUE, head.size - head.readOffset);
                dropListener.dropped("?", "an incomplete line of " + length + " bytes in "
                        + folder.segmentPath(head.number));
                bytes -= length;
                head.readOffset = head.size;
                events = Math.max(0, events - 1);
                continue;
            }
            TranscriptEvent event = null;
            try {
                event = TranscriptEventJson.parse(line.text());
            } catch (RuntimeException e) {
                if (parse) {
                    dropListener.dropped(excerpt(line.text()), "its spooled line cannot be read back ("
                            + e.getMessage() + ")");
                }
            }
            return new Entry(event, head.number, head.readOffset, line.length());
        }
        return null;
    }

    private static String excerpt(String text) {
        return text.length() <= 80 ? text : text.substring(0, 80) + "...";
    }
}
