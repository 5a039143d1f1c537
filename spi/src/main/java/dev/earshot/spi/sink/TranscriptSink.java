package dev.earshot.spi.sink;

import dev.earshot.spi.transcript.TranscriptEvent;

import java.util.Set;

/**
 * Where transcripts go. One instance per configured sink, shared by every pipeline that names it.
 *
 * <h2>Threading and flow</h2>
 * The host gives each sink a bounded queue and one delivery thread of its own: {@link #deliver} is called from that
 * thread only, one event at a time, in the order events were produced (per session). It may block on I/O; a slow
 * sink slows only its own queue. When the queue is full, partials are coalesced or dropped (counted). Finals the
 * sink cannot take (it fails, or it is too slow) go to a bounded on-disk spool the host keeps for the sink, and are
 * delivered again in order when it accepts again, also after a restart: delivery is at least once, so receivers
 * de-duplicate on {@link TranscriptEvent#id()}.
 *
 * <h2>Close</h2>
 * {@link #close()} is called once, from the delivery thread, after the last delivery; nothing is called after it.
 */
public interface TranscriptSink extends AutoCloseable {

    /**
     * Delivers one event. Returning normally means delivered (for a broker or a server: acknowledged); throwing means
     * not delivered: the host logs it, counts it and retries finals with back-off, then spools them. Throw
     * {@link DeliveryException} with {@code retryable == false} when the receiver rejected this event for good.
     */
    void deliver(TranscriptEvent event) throws Exception;

    /** Whether this sink wants partial transcripts; when false the host never queues them for it. */
    default boolean acceptsPartials() {
        return true;
    }

    /**
     * Tells the sink which pipelines send to it: once after it is created, before the first delivery, and again
     * whenever that set changes. A sink that announces itself per pipeline (for example to a home automation system)
     * uses it to announce every route at once and to withdraw the routes that are gone. Called by the host, never
     * concurrently with itself; it must return quickly. The default does nothing.
     *
     * @param pipelines the names of the pipelines that name this sink, in no particular order; never null
     */
    default void routes(Set<String> pipelines) {
    }

    /** Flushes and releases resources. */
    @Override
    default void close() throws Exception {
    }
}
