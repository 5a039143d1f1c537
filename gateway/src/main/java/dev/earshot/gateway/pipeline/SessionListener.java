package dev.earshot.gateway.pipeline;

import dev.earshot.spi.transcript.TranscriptEvent;

/**
 * What the owner of a session (an ingest endpoint) hears from it. Called on the session's home context, one call at
 * a time; never after the owner's own {@link Session#close()} returns, and never after {@link #onClosed}.
 */
public interface SessionListener {

    SessionListener NONE = new SessionListener() {
    };

    default void onTranscript(TranscriptEvent event) {
    }

    /**
     * The session closed by itself or was aborted by someone else ({@link Session#abort}): {@code reason} is
     * "ended" after a graceful end, otherwise why it stopped. Not called when the owner closed the session.
     */
    default void onClosed(String reason) {
    }
}
