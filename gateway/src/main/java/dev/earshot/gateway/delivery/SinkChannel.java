package dev.earshot.gateway.delivery;

import dev.earshot.gateway.plugin.PluginCalls;

import dev.earshot.spi.sink.DeliveryException;
import dev.earshot.spi.sink.TranscriptSink;
import dev.earshot.spi.transcript.TranscriptEvent;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;

import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.ToDoubleFunction;

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
    private final Duration maxRetryDelay;
    private final FinalSpool spool;
    private final Set<String> routes = new TreeSet<>();

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final ArrayDeque<Slot> queue = new ArrayDeque<>();
    private final Map<String, Slot> queuedPartials = new HashMap<>();
    private int depth;
    private int maxDepth;
    /** An event taken from the memory queue and not yet delivered, spooled or dropped. */
    private TranscriptEvent inHand;
    private boolean closing;
    private boolean stopping;
    private volatile boolean failing;

    private final Counter delivered;
    private final Counter failed;
    private final Counter retried;
    private final Counter spooled;
    private final Counter droppedPartials;
    private final Counter droppedFinals;
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
        this.retries = settings.retries();
        this.retryDelay = settings.retryDelay();
        this.maxRetryDelay = settings.maxRetryDelay();
        Tags tags = Tags.of("sink", id);
        droppedFinals = Counter.builder("earshot.sink.dropped").description("Events not delivered")
                .tags(tags.and("type", "final")).register(registry);
        this.spool = new FinalSpool(id, spoolSettings, this::droppedFromSpool);
        delivered = Counter.builder("earshot.sink.delivered").description("Events delivered").tags(tags).register(registry);
        failed = Counter.builder("earshot.sink.failed").description("Delivery attempts that failed").tags(tags).register(registry);
        retried = Counter.builder("earshot.sink.retried").description("Delivery attempts that repeated an earlier one")
                .tags(tags).register(registry);
        spooled = Counter.builder("earshot.sink.spooled").description("Finals written to the sink's on-disk spool")
                .tags(tags).register(registry);
        droppedPartials = Counter.builder("earshot.sink.dropped").description("Events not delivered")
                .tags(tags.and("type", "partial")).register(registry);
        gauge(registry, "earshot.sink.queue.depth", "Events waiting for the sink in memory", tags, this, SinkChannel::depth);
        gauge(registry, "earshot.sink.queue.capacity", "Bound of the sink's queue", tags, this, c -> c.capacity);
        gauge(registry, "earshot.sink.spool.bytes", "Bytes of finals waiting in the sink's on-disk spool", tags,
                this, c -> c.spool.bytes());
        gauge(registry, "earshot.sink.spool.events", "Finals waiting in the sink's on-disk spool", tags,
                this, c -> c.spool.events());
        gauge(registry, "earshot.sink.spool.limit.bytes", "Bound of the sink's on-disk spool", tags,
                this, c -> c.spool.maxBytes());
        thread = new Thread(this::deliverLoop, "earshot-sink-" + id);
        thread.setDaemon(true);
        thread.start();
    }

    public String id() {
        return id;
    }

    /** A pipeline now sends to this sink: tells the sink its routes ({@link TranscriptSink#routes}). */
    public void routeAdded(String pipeline) {
        synchronized (routes) {
            if (routes.add(pipeline)) {
                tellRoutes();
            }
        }
    }

    /** A pipeline no longer sends to this sink. */
    public void routeRemoved(String pipeline) {
        synchronized (routes) {
            if (routes.remove(pipeline)) {
                tellRoutes();
            }
        }
    }

    private void tellRoutes() {
        try {
            sink.routes(Set.copyOf(routes));
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "sink '" + id + "': routes(" + routes + ") failed: " + e, e);
        }
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

    public FinalSpool spool() {
        return spool;
    }

    /** Whether the last delivery attempt failed (the sink is down or rejecting). */
    public boolean failing() {
        return failing;
    }

    public long delivered() {
        return (long) delivered.count();
    }

    public long retried() {
        return (long) retried.count();
    }

    public long spooled() {
        return (long) spooled.count();
    }

    public long droppedPartials() {
        return (long) droppedPartials.count();
    }

    public long droppedFinals() {
        return (long) droppedFinals.count();
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
                    droppedPartials.increment();
                    return;
                }
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
            } else {
                Slot superseded = queuedPartials.remove(event.session());
                if (superseded != null) {
                    superseded.event = null;
                    depth--;
                    droppedPartials.increment();
                }
                if (stopping || !spool.isEmpty() || (depth >= capacity && !evictOnePartial())) {
                    toSpool(event, stopping ? "the sink is closing" : !spool.isEmpty()
                            ? "earlier finals are waiting in the spool" : "its queue is full of finals (" + capacity + ")");
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

    /** Appends a final behind everything spooled. Caller holds the lock. */
    private void toSpool(TranscriptEvent event, String why) {
        try {
            if (spool.append(List.of(event))) {
                spooled.increment();
                LOG.log(System.Logger.Level.DEBUG, () -> "sink '" + id + "': final " + event.id() + " spooled because " + why);
            } else {
                drop(event, "its spool is full (" + spool.bytes() + " of " + spool.maxBytes() + " bytes, earshot.sinks."
                        + id + ".spool-size; policy " + spool.policy().configName() + ")");
            }
        } catch (UncheckedIOException e) {
            drop(event, e.getMessage());
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
        if (finals.isEmpty()) {
            return 0;
        }
        try {
            spool.pushFront(finals);
            spooled.increment(finals.size());
        } catch (RuntimeException e) {
            for (TranscriptEvent event : finals) {
                drop(event, e.getMessage());
            }
        }
        changed.signalAll();
        return finals.size();
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

    private void droppedFromSpool(String eventId, String why) {
        droppedFinals.increment();
        LOG.log(System.Logger.Level.ERROR, "sink '" + id + "' dropped final transcript " + eventId + " because " + why);
    }

    // ---- delivery thread ----------------------------------------------------------------------------------------

    /** What the delivery thread does next: an event from memory (now in hand), the spool, or stop (null). */
    private Object next() throws InterruptedException {
        lock.lock();
        try {
            while (true) {
                if (stopping) {
                    return null;
                }
                Slot slot = queue.pollFirst();
                if (slot != null) {
                    if (slot.event == null) {
                        continue;
                    }
                    TranscriptEvent event = slot.event;
                    if (!event.isFinal()) {
                        queuedPartials.remove(event.session(), slot);
                    }
                    depth--;
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

    private void deliverLoop() {
        long replayDelay = retryDelay.toMillis();
        try {
            Object next;
            while ((next = next()) != null) {
                if (next instanceof TranscriptEvent event) {
                    deliverFromMemory(event);
                } else {
                    replayDelay = replayOne(replayDelay);
                }
            }
        } catch (InterruptedException e) {
            // close() gave up waiting: what is left in memory goes to the spool below
        } catch (RuntimeException | Error e) {
            LOG.log(System.Logger.Level.ERROR, "sink '" + id + "': delivery thread failed", e);
        } finally {
            Thread.interrupted(); // spool writes below must not be cut short by close()'s interrupt
            lock.lock();
            try {
                int saved = memoryToSpoolFront();
                if (saved > 0) {
                    LOG.log(System.Logger.Level.WARNING, "sink '" + id + "': " + saved
                            + " undelivered final(s) kept in the spool " + spool.directory() + " for the next start");
                }
                stopping = true;
                changed.signalAll();
            } finally {
                lock.unlock();
            }
            try {
                sink.close();
            } catch (Exception e) {
                LOG.log(System.Logger.Level.WARNING, "sink '" + id + "': close failed", e);
            }
        }
    }

    private void deliverFromMemory(TranscriptEvent event) throws InterruptedException {
        int attempts = event.isFinal() ? retries + 1 : 1;
        long delay = retryDelay.toMillis();
        for (int attempt = 1; ; attempt++) {
            try {
                sink.deliver(event);
                delivered.increment();
                recovered();
                release(event);
                return;
            } catch (InterruptedException e) {
                throw e;
            } catch (Exception e) {
                failed.increment();
                failing = true;
                if (e instanceof DeliveryException rejected && !rejected.retryable()) {
                    rejectedFor(event, rejected);
                    release(event);
                    return;
                }
                if (!event.isFinal()) {
                    droppedPartials.increment();
                    release(event);
                    return;
                }
                if (attempt >= attempts) {
                    int saved;
                    lock.lock();
                    try {
                        saved = memoryToSpoolFront();
                    } finally {
                        lock.unlock();
                    }
                    LOG.log(System.Logger.Level.WARNING, "sink '" + id + "': delivering " + event.id() + " failed "
                            + attempt + " time(s) (" + PluginCalls.describe(e) + "); " + saved
                            + " final(s) moved to the spool, replayed in order when the sink accepts again");
                    return;
                }
                LOG.log(System.Logger.Level.WARNING, "sink '" + id + "': delivering " + event.id() + " failed (attempt "
                        + attempt + " of " + attempts + "), retrying in " + delay + " ms: " + PluginCalls.describe(e));
                Thread.sleep(delay);
                retried.increment();
                delay = Math.min(delay * 2, maxRetryDelay.toMillis());
            }
        }
    }

    /** Delivers the spool's oldest final; returns the back-off for the next attempt. */
    private long replayOne(long delay) throws InterruptedException {
        FinalSpool.Entry entry;
        try {
            entry = spool.peek();
        } catch (UncheckedIOException e) {
            LOG.log(System.Logger.Level.ERROR, e.getMessage());
            Thread.sleep(maxRetryDelay.toMillis());
            return delay;
        }
        if (entry == null) {
            return delay;
        }
        try {
            sink.deliver(entry.event());
            spool.commit(entry);
            delivered.increment();
            recovered();
            return retryDelay.toMillis();
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) {
            failed.increment();
            if (e instanceof DeliveryException rejected && !rejected.retryable()) {
                spool.commit(entry);
                rejectedFor(entry.event(), rejected);
                return delay;
            }
            if (!failing) {
                LOG.log(System.Logger.Level.WARNING, "sink '" + id + "': replaying its spool failed ("
                        + PluginCalls.describe(e) + "); " + spool.events() + " final(s) wait, retrying with back-off up to "
                        + maxRetryDelay.toMillis() + " ms");
            }
            failing = true;
            lock.lock();
            try {
                if (!stopping) {
                    changed.await(delay, TimeUnit.MILLISECONDS);
                }
            } finally {
                lock.unlock();
            }
            retried.increment();
            return Math.min(delay * 2, maxRetryDelay.toMillis());
        }
    }

    private void recovered() {
        if (failing) {
            failing = false;
            LOG.log(System.Logger.Level.INFO, "sink '" + id + "' is accepting again; " + spool.events()
                    + " final(s) left in its spool");
        }
    }

    private void rejectedFor(TranscriptEvent event, DeliveryException rejected) {
        if (event.isFinal()) {
            droppedFinals.increment();
            LOG.log(System.Logger.Level.ERROR, "sink '" + id + "' rejected final transcript " + event.id()
                    + " for good, not retrying it: " + PluginCalls.describe(rejected));
        } else {
            droppedPartials.increment();
            LOG.log(System.Logger.Level.WARNING, "sink '" + id + "' rejected partial " + event.id() + ": "
                    + PluginCalls.describe(rejected));
        }
    }

    private void release(TranscriptEvent event) {
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
            while ((depth > 0 || inHand != null) && !stopping && System.nanoTime() < deadline) {
                changed.await(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
            }
            if (depth > 0 || inHand != null) {
                LOG.log(System.Logger.Level.WARNING, "sink '" + id + "': " + (depth + (inHand == null ? 0 : 1))
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

    private static <T> void gauge(MeterRegistry registry, String name, String description, Tags tags, T target,
                                  ToDoubleFunction<T> value) {
        Gauge.builder(name, target, value).description(description).tags(tags).strongReference(true).register(registry);
    }
}
