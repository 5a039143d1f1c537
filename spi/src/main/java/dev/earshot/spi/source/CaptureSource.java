package dev.earshot.spi.source;

/**
 * Produces audio for a pipeline: opens one {@link AudioSession} per stream it captures (a file, a device) and feeds
 * it frames.
 *
 * <h2>Threading</h2>
 * Capture that blocks (reading a file or a device) runs on a thread the source owns; it hands frames to the session
 * through the session's thread-safe, bounded queue ({@link AudioSession#put} or {@link AudioSession#offer}) and never
 * touches the host's event loops.
 *
 * <h2>Close</h2>
 * {@link #close()} is idempotent and thread-safe. It stops capture and ends the sessions the source opened; after it
 * returns the source calls nothing on its sessions or its context, and its threads have ended. Calling it from one
 * of the source's own threads must not deadlock.
 */
public interface CaptureSource extends AutoCloseable {

    /**
     * Starts capturing. Called once, on a host worker thread; returns without waiting for capture to end.
     *
     * @throws dev.earshot.spi.PluginException when the source cannot start (missing file, unknown device), with a
     *                                         message naming what is missing and what is available
     */
    void start(SourceContext context) throws Exception;

    @Override
    void close();
}
