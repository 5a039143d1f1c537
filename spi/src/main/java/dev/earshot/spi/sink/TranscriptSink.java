package dev.earshot.spi.sink;

import dev.earshot.spi.transcript.TranscriptEvent;

/**
 * Where transcripts go. One instance per configured sink, shared by every pipeline that names it.
 *
 * <h2>Threading and flow</h2>
 * The host gives each sink a bounded queue and one delivery thread of its own: {@link #deliver} is called from that
 * thread only, one event at a time, in the order events were produced (per session). It may block on I/O; a slow
 * sink slows only its own queue. When the queue is full, partials are coalesced or dropped (counted), and finals
 * are never dropped silently.
 *
 * <h2>Close</h2>
 * {@link #close()} is called once, from the delivery thread, after the last delivery; nothing is called after it.
 */
public interface TranscriptSink extends AutoCloseable {

    /**
     * Delivers one event. Returning normally means delivered; throwing means not delivered: the host logs it,
     * counts it and retries finals with back-off.
     */
    void deliver(TranscriptEvent event) throws Exception;

    /** Whether this sink wants partial transcripts; when false the host never queues them for it. */
    default boolean acceptsPartials() {
        return true;
    }

    /** Flushes and releases resources. */
    @Override
    default void close() throws Exception {
    }
}
