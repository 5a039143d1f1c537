package dev.earshot.gateway.delivery;

import dev.earshot.gateway.plugin.PluginCalls;

import dev.earshot.spi.sink.DeliveryException;
import dev.earshot.spi.sink.TranscriptSink;
import dev.earshot.spi.transcript.TranscriptEvent;

import java.io.UncheckedIOException;
import java.time.Duration;

/**
 * The delivery thread of one {@link SinkChannel}: takes what the channel hands it next (an event from memory, or the
 * spool), calls {@link TranscriptSink#deliver}, retries a failed final with back-off, moves it and the finals behind
 * it to the front of the spool when the retries are spent, and replays the spool in order with back-off until the
 * sink accepts again (the policy is described on {@link SinkChannel}). When it stops, what is left in memory goes to
 * the spool and the sink is closed on this thread.
 */
final class SinkDelivery implements Runnable {

    private static final System.Logger LOG = System.getLogger(SinkChannel.class.getName());

    private final SinkChannel channel;
    private final String id;
    private final TranscriptSink sink;
    private final FinalSpool spool;
    private final SinkMetrics metrics;
    private final int retries;
    private final Duration retryDelay;
    private final Duration maxRetryDelay;
    private volatile boolean failing;

    SinkDelivery(SinkChannel channel, TranscriptSink sink, SinkChannel.Settings settings, SinkMetrics metrics) {
        this.channel = channel;
        this.id = channel.id();
        this.sink = sink;
        this.spool = channel.spool();
        this.metrics = metrics;
        this.retries = settings.retries();
        this.retryDelay = settings.retryDelay();
        this.maxRetryDelay = settings.maxRetryDelay();
    }

    /** Whether the last delivery attempt failed (the sink is down or rejecting). */
    boolean failing() {
        return failing;
    }

    @Override
    public void run() {
        long replayDelay = retryDelay.toMillis();
        try {
            Object next;
            while ((next = channel.next()) != null) {
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
            int saved = channel.deliveryStopped();
            if (saved > 0) {
                LOG.log(System.Logger.Level.WARNING, "sink '" + id + "': " + saved
                        + " undelivered final(s) kept in the spool " + spool.directory() + " for the next start");
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
                metrics.delivered.increment();
                recovered();
                channel.release(event);
                return;
            } catch (InterruptedException e) {
                throw e;
            } catch (Exception e) {
                metrics.failed.increment();
                failing = true;
                if (e instanceof DeliveryException rejected && !rejected.retryable()) {
                    metrics.rejected(event, rejected);
                    channel.release(event);
                    return;
                }
                if (!event.isFinal()) {
                    metrics.droppedPartials.increment();
                    channel.release(event);
                    return;
                }
                if (attempt >= attempts) {
                    int saved = channel.memoryToSpool();
                    LOG.log(System.Logger.Level.WARNING, "sink '" + id + "': delivering " + event.id() + " failed "
                            + attempt + " time(s) (" + PluginCalls.describe(e) + "); " + saved
                            + " final(s) moved to the spool, replayed in order when the sink accepts again");
                    return;
                }
                LOG.log(System.Logger.Level.WARNING, "sink '" + id + "': delivering " + event.id() + " failed (attempt "
                        + attempt + " of " + attempts + "), retrying in " + delay + " ms: " + PluginCalls.describe(e));
                Thread.sleep(delay);
                metrics.retried.increment();
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
            metrics.delivered.increment();
            recovered();
            return retryDelay.toMillis();
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) {
            metrics.failed.increment();
            if (e instanceof DeliveryException rejected && !rejected.retryable()) {
                spool.commit(entry);
                metrics.rejected(entry.event(), rejected);
                return delay;
            }
            if (!failing) {
                LOG.log(System.Logger.Level.WARNING, "sink '" + id + "': replaying its spool failed ("
                        + PluginCalls.describe(e) + "); " + spool.events() + " final(s) wait, retrying with back-off up to "
                        + maxRetryDelay.toMillis() + " ms");
            }
            failing = true;
            channel.awaitChange(delay);
            metrics.retried.increment();
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
}
