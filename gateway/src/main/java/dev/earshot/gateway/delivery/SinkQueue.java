package dev.earshot.gateway.delivery;

import dev.earshot.spi.transcript.TranscriptEvent;
import io.micrometer.core.instrument.Counter;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The bounded memory queue of one sink: at most {@code capacity} events, partials coalesced per session (the policy
 * is described on {@link SinkChannel}). Every partial it drops is counted. Not thread-safe: the channel calls it
 * under its lock.
 */
final class SinkQueue {

    /** A queue entry; {@code event} is cleared when the entry is superseded (then skipped by the consumer). */
    private static final class Slot {
        TranscriptEvent event;

        Slot(TranscriptEvent event) {
            this.event = event;
        }
    }

    private final int capacity;
    private final Counter droppedPartials;
    private final ArrayDeque<Slot> queue = new ArrayDeque<>();
    private final Map<String, Slot> queuedPartials = new HashMap<>();
    private int depth;
    private int maxDepth;

    SinkQueue(int capacity, Counter droppedPartials) {
        this.capacity = capacity;
        this.droppedPartials = droppedPartials;
    }

    int depth() {
        return depth;
    }

    /** The highest depth the queue has reached. */
    int maxDepth() {
        return maxDepth;
    }

    /**
     * Queues a partial, or replaces the queued partial of its session, or drops it when the queue is full. Returns
     * whether it was added as a new entry.
     */
    boolean offerPartial(TranscriptEvent partial) {
        Slot queued = queuedPartials.get(partial.session());
        if (queued != null) {
            queued.event = partial;
            droppedPartials.increment();
            return false;
        }
        if (depth >= capacity) {
            droppedPartials.increment();
            return false;
        }
        add(partial);
        return true;
    }

    /** Removes the queued partial of a session (its final has come). */
    void removePartial(String session) {
        Slot superseded = queuedPartials.remove(session);
        if (superseded != null) {
            superseded.event = null;
            depth--;
            droppedPartials.increment();
        }
    }

    /** Whether a final fits: the queue has room, or one queued partial was dropped to make room. */
    boolean roomForFinal() {
        if (depth < capacity) {
            return true;
        }
        Iterator<Slot> partials = queuedPartials.values().iterator();
        if (!partials.hasNext()) {
            return false;
        }
        Slot victim = partials.next();
        partials.remove();
        victim.event = null;
        depth--;
        droppedPartials.increment();
        return true;
    }

    void add(TranscriptEvent event) {
        Slot slot = new Slot(event);
        queue.addLast(slot);
        if (!event.isFinal()) {
            queuedPartials.put(event.session(), slot);
        }
        depth++;
        maxDepth = Math.max(maxDepth, depth);
    }

    /** Takes the oldest event; null when the queue is empty. */
    TranscriptEvent poll() {
        Slot slot;
        while ((slot = queue.pollFirst()) != null) {
            if (slot.event == null) {
                continue;
            }
            TranscriptEvent event = slot.event;
            if (!event.isFinal()) {
                queuedPartials.remove(event.session(), slot);
            }
            depth--;
            return event;
        }
        return null;
    }

    /** Empties the queue: its finals are added to {@code finals} in order, its partials are dropped. */
    void drainFinals(List<TranscriptEvent> finals) {
        for (Slot slot : queue) {
            if (slot.event != null) {
                if (slot.event.isFinal()) {
                    finals.add(slot.event);
                } else {
                    droppedPartials.increment();
                }
            }
        }
        queue.clear();
        queuedPartials.clear();
        depth = 0;
    }
}
