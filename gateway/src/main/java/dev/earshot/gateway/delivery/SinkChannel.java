package dev.earshot.gateway.delivery;

import dev.earshot.spi.sink.TranscriptSink;
import dev.earshot.spi.transcript.TranscriptEvent;
import io.micrometer.core.instrument.MeterRegistry;

import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import static java.util.Objects.requireNonNull;

/**
 * The host side of one sink: a bounded in-memory queue, a durable spool for finals ({@link FinalSpool}) and one
 * delivery thread that calls {@link TranscriptSink#deliver}. Every sink gets this, built-in or third-party.
 *
 * <h2>Order</h2>
 * Events are delivered in this order: the event in the delivery thread's hands, then the memory queue, then the
 * spool. Everything in the spool is newer than everything in memory, so finals reach the sink in the order they were
 * produced (per session), across outages and restarts. Delivery is at least once: a final may arrive twice (after a
 * crash, or when the sink took it but did not say so in time); receivers de-duplicate on the event id.
 *
 * <h2>Overflow policy</h2>
 * At most {@code capacity} events wait in memory. Partials are coalesced: a newer partial of a session replaces its
 * queued one, a final removes it (each counted as a dropped partial), and a partial that finds the queue full is
 * dropped. A final that finds the queue full evicts a queued partial; when the queue holds nothing but finals, the
 * final goes to the spool instead. While the spool holds anything, new finals go behind it (order kept) and partials
 * are dropped (counted): they would otherwise overtake the finals before them.
 *
 * <h2>Failures</h2>
 * A final whose delivery fails is retried {@code retries} times with back-off; then it goes to the front of the spool
 * together with the finals queued behind it in memory, and the delivery thread replays the spool in order, backing off
 * from {@code retryDelay} up to {@code maxRetryDelay}, until the sink accepts again. A {@link DeliveryException} that
 * is not retryable (the receiver rejected that event) is neither retried nor spooled: it is logged as an error and
 * counted as a dropped final. A final is dropped only then, or when the spool cannot take it (full under policy
 * refuse, or a disk error); always with an error log and {@code earshot_sink_dropped_total{type="final"}}.
 *
 * <h2>Close</h2>
 * {@link #close(Duration)} delivers what is queued in memory within the drain time; what is left (the event in hand,
 * queued finals) goes to the front of the spool and is delivered after the next start.
 *
 * <p>This class decides where each event goes and hands work to the delivery thread ({@link SinkDelivery}, which
 * owns the retries and the spool replay); the memory queue is {@link SinkQueue}, the meters and the log of lost
 * transcripts are in {@link SinkMetrics}.
 */
public final class SinkChannel implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(SinkChannel.class.getName());

    /**
     * The host's settings of one sink ({@code earshot.sinks.<id>.queue-size}, {@code retries}, {@code retry-delay},
     * {@code max-retry-delay}).
     */
    public record Settings(int capacity, int retries, Duration retryDelay, Duration maxRetryDelay) {
        public Settings {
            requireNonNull(retryDelay, "retryDelay is null");
            requireNonNull(maxRetryDelay, "maxRetryDelay is null");
        }
    }

    private final String id;
    private final TranscriptSink sink;
    private final boolean acceptsPartials;
    private final int capacity;
    private final FinalSpool spool;
    private final SinkRoutes routes;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final SinkQueue queue;
    /** An event taken from the memory queue and not yet delivered, spooled or dropped. */
    private TranscriptEvent inHand;
    private boolean closing;
    private boolean stopping;

    private final SinkMetrics metrics;
    private final SinkDelivery delivery;
    private final Thread thread;

    /**
     * Opens the sink's spool (reading what an earlier run left) and starts the delivery thread.
     *
     * @throws java.io.UncheckedIOException when the spool folder exists but cannot be read
     */
    public SinkChannel(String id, TranscriptSink sink, Settings settings, FinalSpool.Settings spoolSettings, MeterRegistry registry) {
        this.id = requireNonNull(id, "id is null");
        this.sink = requireNonNull(sink, "sink is null");
        this.acceptsPartials = sink.acceptsPartials();
        if (settings.capacity() < 1) {
            throw new IllegalArgumentException("earshot.sinks." + id + ".queue-size: " + settings.capacity()
                    + " is not valid; expected at least 1");
        }
        this.capacity = settings.capacity();
        this.routes = new SinkRoutes(id, sink);
        this.metrics = new SinkMetrics(id, registry);
        this.queue = new SinkQueue(capacity, metrics.droppedPartials);
        this.spool = new FinalSpool(id, spoolSettings, metrics::droppedFromSpool);
        metrics.registerGauges(registry, this);
        this.delivery = new SinkDelivery(this, sink, settings, metrics);
        thread = new Thread(delivery, "earshot-sink-" + id);
        thread.setDaemon(true);
        thread.start();
    }

    public String id() {
        return id;
    }

    /** A pipeline now sends to this sink: tells the sink its routes ({@link TranscriptSink#routes}). */
    public void routeAdded(String pipeline) {
        routes.add(pipeline);
    }

    /** A pipeline no longer sends to this sink. */
    public void routeRemoved(String pipeline) {
        routes.remove(pipeline);
    }

    public int capacity() {
        return capacity;
    }

    public int depth() {
        lock.lock();
        try {
            return queue.depth();
        } finally {
            lock.unlock();
        }
    }

    /** The highest depth the queue has reached. */
    public int maxDepth() {
        lock.lock();
        try {
            return queue.maxDepth();
        } finally {
            lock.unlock();
        }
    }

    public FinalSpool spool() {
        return spool;
    }

    /** Whether the last delivery attempt failed (the sink is down or rejecting). */
    public boolean failing() {
        return delivery.failing();
    }

    public long delivered() {
        return (long) metrics.delivered.count();
    }

    public long retried() {
        return (long) metrics.retried.count();
    }

    public long spooled() {
        return (long) metrics.spooled.count();
    }

    public long droppedPartials() {
        return (long) metrics.droppedPartials.count();
    }

    public long droppedFinals() {
        return (long) metrics.droppedFinals.count();
    }

    /** Why pipelines using this sink must refuse new sessions now, or null. */
    public String refusal() {
        if (!spool.refusing()) {
            return null;
        }
        return "sink '" + id + "' is not taking transcripts and its spool is full (" + spool.bytes() + " of "
                + spool.maxBytes() + " bytes, earshot.sinks." + id + ".spool-size; policy refuse): refusing new sessions"
                + " until it recovers";
    }

    /** Queues an event; never waits for the sink (a final may be written to the spool on the caller's thread). */
    public void offer(TranscriptEvent event) {
        if (!event.isFinal() && !acceptsPartials) {
            return;
        }
        lock.lock();
        try {
            if (!event.isFinal()) {
                if (closing || !spool.isEmpty()) {
                    metrics.droppedPartials.increment();
                } else if (queue.offerPartial(event)) {
                    changed.signalAll();
                }
                return;
            }
            queue.removePartial(event.session());
            if (stopping || !spool.isEmpty() || !queue.roomForFinal()) {
                toSpool(event, stopping ? "the sink is closing" : !spool.isEmpty()
                        ? "earlier finals are waiting in the spool" : "its queue is full of finals (" + capacity + ")");
                return;
            }
            queue.add(event);
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Appends a final behind everything spooled. Caller holds the lock. */
    private void toSpool(TranscriptEvent event, String why) {
        try {
            if (spool.append(List.of(event))) {
                metrics.spooled.increment();
                LOG.log(System.Logger.Level.DEBUG, () -> "sink '" + id + "': final " + event.id() + " spooled because " + why);
            } else {
                metrics.dropped(event, "its spool is full (" + spool.bytes() + " of " + spool.maxBytes() + " bytes, earshot.sinks."
                        + id + ".spool-size; policy " + spool.policy().configName() + ")");
            }
        } catch (UncheckedIOException e) {
            metrics.dropped(event, e.getMessage());
        }
        changed.signalAll();
    }

    /**
     * Moves the event in hand (if a final) and the finals queued in memory to the front of the spool, in order;
     * queued partials are dropped. Caller holds the lock.
     */
    private int memoryToSpoolFront() {
        List<TranscriptEvent> finals = new ArrayList<>();
        if (inHand != null && inHand.isFinal()) {
            finals.add(inHand);
        }
        inHand = null;
        queue.drainFinals(finals);
        if (finals.isEmpty()) {
            return 0;
        }
        try {
            spool.pushFront(finals);
            metrics.spooled.increment(finals.size());
        } catch (RuntimeException e) {
            for (TranscriptEvent event : finals) {
                metrics.dropped(event, e.getMessage());
            }
        }
        changed.signalAll();
        return finals.size();
    }

    // ---- delivery thread ----------------------------------------------------------------------------------------

    /** What the delivery thread does next: an event from memory (now in hand), the spool, or stop (null). */
    Object next() throws InterruptedException {
        lock.lock();
        try {
            while (true) {
                if (stopping) {
                    return null;
                }
                TranscriptEvent event = queue.poll();
                if (event != null) {
                    inHand = event;
                    return event;
                }
                if (!spool.isEmpty()) {
                    return spool;
                }
                if (closing) {
                    return null;
                }
                changed.await();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Moves what is in memory to the front of the spool (the retries of a final are spent); returns how many. */
    int memoryToSpool() {
        lock.lock();
        try {
            return memoryToSpoolFront();
        } finally {
            lock.unlock();
        }
    }

    /** Waits up to {@code millis} for a change (new events, close) unless the channel is stopping. */
    void awaitChange(long millis) throws InterruptedException {
        lock.lock();
        try {
            if (!stopping) {
                changed.await(millis, TimeUnit.MILLISECONDS);
            }
        } finally {
            lock.unlock();
        }
    }

    /** The delivery thread ends: what is in memory goes to the front of the spool; returns how many finals. */
    int deliveryStopped() {
        lock.lock();
        try {
            int saved = memoryToSpoolFront();
            stopping = true;
            changed.signalAll();
            return saved;
        } finally {
            lock.unlock();
        }
    }

    /** The delivery thread is done with the event in hand (delivered or dropped). */
    void release(TranscriptEvent event) {
        lock.lock();
        try {
            if (inHand == event) {
                inHand = null;
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Stops accepting events into memory, delivers what is queued (waiting at most {@code drain}); what is left
     * goes to the front of the spool. Then closes the sink on its delivery thread. Idempotent.
     */
    @Override
    public void close() {
        close(Duration.ofSeconds(10));
    }

    public void close(Duration drain) {
        long deadline = System.nanoTime() + drain.toNanos();
        lock.lock();
        try {
            closing = true;
            changed.signalAll();
            while ((queue.depth() > 0 || inHand != null) && !stopping && System.nanoTime() < deadline) {
                changed.await(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
            }
            if (queue.depth() > 0 || inHand != null) {
                LOG.log(System.Logger.Level.WARNING, "sink '" + id + "': " + (queue.depth() + (inHand == null ? 0 : 1))
                        + " event(s) not delivered within " + drain.toMillis() + " ms of shutdown; finals go to the spool");
            }
            stopping = true;
            changed.signalAll();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            lock.unlock();
        }
        if (thread != Thread.currentThread()) {
            thread.interrupt();
            try {
                thread.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (thread.isAlive()) {
                // The sink ignores interrupts: keep what is in memory; the stuck delivery may still land (a duplicate).
                lock.lock();
                try {
                    int saved = memoryToSpoolFront();
                    LOG.log(System.Logger.Level.ERROR, "sink '" + id + "': delivery thread stuck in the sink after "
                            + "close; " + saved + " final(s) kept in the spool");
                } finally {
                    lock.unlock();
                }
            }
        }
        if (!thread.isAlive()) {
            spool.close();
        }
    }
}
