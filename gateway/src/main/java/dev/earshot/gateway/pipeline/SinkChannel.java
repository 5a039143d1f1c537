package dev.earshot.gateway.pipeline;

import dev.earshot.spi.sink.TranscriptSink;
import dev.earshot.spi.transcript.TranscriptEvent;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import static java.util.Objects.requireNonNull;

/**
 * The bounded queue and the delivery thread in front of one sink.
 *
 * <h2>Overflow policy</h2>
 * At most {@code capacity} events wait. Partials are coalesced: a newer partial of a session replaces its queued one,
 * a final removes it (each counted as a dropped partial), and a partial that finds the queue full is dropped. A final
 * that finds the queue full evicts a queued partial; only when the queue holds nothing but finals is a final dropped,
 * and then loudly (error log and {@code earshot_sink_dropped_total{type="final"}}). A final whose delivery fails is
 * retried with back-off up to {@code retries} times.
 */
public final class SinkChannel implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(SinkChannel.class.getName());

    /** A queue entry; {@code event} is cleared when the entry is superseded (then skipped by the consumer). */
    private static final class Slot {
        TranscriptEvent event;

        Slot(TranscriptEvent event) {
            this.event = event;
        }
    }

    private final String id;
    private final TranscriptSink sink;
    private final boolean acceptsPartials;
    private final int capacity;
    private final int retries;
    private final Duration retryDelay;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final ArrayDeque<Slot> queue = new ArrayDeque<>();
    private final Map<String, Slot> queuedPartials = new HashMap<>();
    private int depth;
    private int maxDepth;
    private boolean closing;
    private boolean delivering;

    private final Counter delivered;
    private final Counter failed;
    private final Counter droppedPartials;
    private final Counter droppedFinals;
    private final Thread thread;

    SinkChannel(String id, TranscriptSink sink, int capacity, int retries, Duration retryDelay, MeterRegistry registry) {
        this.id = requireNonNull(id, "id is null");
        this.sink = requireNonNull(sink, "sink is null");
        this.acceptsPartials = sink.acceptsPartials();
        if (capacity < 1) {
            throw new IllegalArgumentException("earshot.sinks." + id + ".queue-size: " + capacity + " is not valid; expected at least 1");
        }
        this.capacity = capacity;
        this.retries = retries;
        this.retryDelay = retryDelay;
        Tags tags = Tags.of("sink", id);
        delivered = Counter.builder("earshot.sink.delivered").description("Events delivered").tags(tags).register(registry);
        failed = Counter.builder("earshot.sink.failed").description("Delivery attempts that failed").tags(tags).register(registry);
        droppedPartials = Counter.builder("earshot.sink.dropped").description("Events not delivered")
                .tags(tags.and("type", "partial")).register(registry);
        droppedFinals = Counter.builder("earshot.sink.dropped").description("Events not delivered")
                .tags(tags.and("type", "final")).register(registry);
        PipelineMetrics.gauge(registry, "earshot.sink.queue.depth", "Events waiting for the sink", tags, this, SinkChannel::depth);
        PipelineMetrics.gauge(registry, "earshot.sink.queue.capacity", "Bound of the sink's queue", tags, this, c -> c.capacity);
        thread = new Thread(this::deliverLoop, "earshot-sink-" + id);
        thread.setDaemon(true);
        thread.start();
    }

    public String id() {
        return id;
    }

    public int capacity() {
        return capacity;
    }

    public int depth() {
        lock.lock();
        try {
            return depth;
        } finally {
            lock.unlock();
        }
    }

    /** The highest depth the queue has reached. */
    public int maxDepth() {
        lock.lock();
        try {
            return maxDepth;
        } finally {
            lock.unlock();
        }
    }

    public long delivered() {
        return (long) delivered.count();
    }

    public long droppedPartials() {
        return (long) droppedPartials.count();
    }

    public long droppedFinals() {
        return (long) droppedFinals.count();
    }

    /** Queues an event; never blocks. */
    void offer(TranscriptEvent event) {
        if (!event.isFinal() && !acceptsPartials) {
            return;
        }
        lock.lock();
        try {
            if (closing) {
                drop(event, "the sink is closing");
                return;
            }
            if (event.isFinal()) {
                Slot superseded = queuedPartials.remove(event.session());
                if (superseded != null) {
                    superseded.event = null;
                    depth--;
                    droppedPartials.increment();
                }
                if (depth >= capacity && !evictOnePartial()) {
                    drop(event, "its queue is full of finals (" + capacity + ")");
                    return;
                }
            } else {
                Slot queued = queuedPartials.get(event.session());
                if (queued != null) {
                    queued.event = event;
                    droppedPartials.increment();
                    return;
                }
                if (depth >= capacity) {
                    droppedPartials.increment();
                    return;
                }
            }
            Slot slot = new Slot(event);
            queue.addLast(slot);
            if (!event.isFinal()) {
                queuedPartials.put(event.session(), slot);
            }
            depth++;
            maxDepth = Math.max(maxDepth, depth);
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private boolean evictOnePartial() {
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

    private void drop(TranscriptEvent event, String why) {
        if (event.isFinal()) {
            droppedFinals.increment();
            LOG.log(System.Logger.Level.ERROR, "sink '" + id + "' dropped final transcript " + event.id() + " because "
                    + why + ": " + event.text());
        } else {
            droppedPartials.increment();
        }
    }

    private TranscriptEvent take() throws InterruptedException {
        lock.lock();
        try {
            while (true) {
                Slot slot = queue.pollFirst();
                if (slot == null) {
                    if (closing) {
                        return null;
                    }
                    changed.await();
                    continue;
                }
                if (slot.event == null) {
                    continue;
                }
                TranscriptEvent event = slot.event;
                if (!event.isFinal()) {
                    queuedPartials.remove(event.session(), slot);
                }
                depth--;
                delivering = true;
                return event;
            }
        } finally {
            lock.unlock();
        }
    }

    private void deliverLoop() {
        try {
            TranscriptEvent event;
            while ((event = take()) != null) {
                deliver(event);
                lock.lock();
                try {
                    delivering = false;
                    changed.signalAll();
                } finally {
                    lock.unlock();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            try {
                sink.close();
            } catch (Exception e) {
                LOG.log(System.Logger.Level.WARNING, "sink '" + id + "': close failed", e);
            }
        }
    }

    private void deliver(TranscriptEvent event) throws InterruptedException {
        int attempts = event.isFinal() ? retries + 1 : 1;
        long delay = retryDelay.toMillis();
        for (int attempt = 1; ; attempt++) {
            try {
                sink.deliver(event);
                delivered.increment();
                return;
            } catch (InterruptedException e) {
                throw e;
            } catch (Exception e) {
                failed.increment();
                if (attempt >= attempts) {
                    drop(event, "delivery failed " + attempt + " time(s): " + HookRunner.describe(e));
                    return;
                }
                LOG.log(System.Logger.Level.WARNING, "sink '" + id + "': delivering " + event.id() + " failed (attempt "
                        + attempt + " of " + attempts + "), retrying in " + delay + " ms: " + HookRunner.describe(e));
                Thread.sleep(delay);
                delay = Math.min(delay * 2, 30_000);
            }
        }
    }

    /**
     * Stops accepting events, delivers what is queued (waiting at most {@code drain}), then closes the sink on its
     * delivery thread. Idempotent.
     */
    @Override
    public void close() {
        close(Duration.ofSeconds(10));
    }

    void close(Duration drain) {
        long deadline = System.nanoTime() + drain.toNanos();
        boolean stuck = false;
        lock.lock();
        try {
            closing = true;
            changed.signalAll();
            while ((depth > 0 || delivering) && System.nanoTime() < deadline) {
                changed.await(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
            }
            if (depth > 0) {
                LOG.log(System.Logger.Level.ERROR, "sink '" + id + "': " + depth + " event(s) not delivered within "
                        + drain.toMillis() + " ms of shutdown");
                for (Slot slot : queue) {
                    if (slot.event != null && slot.event.isFinal()) {
                        droppedFinals.increment();
                    }
                }
                queue.clear();
                queuedPartials.clear();
                depth = 0;
            }
            stuck = delivering;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            lock.unlock();
        }
        if (thread != Thread.currentThread()) {
            if (stuck) {
                thread.interrupt();
            }
            try {
                thread.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
