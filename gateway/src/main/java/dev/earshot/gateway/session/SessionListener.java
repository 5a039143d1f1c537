package dev.earshot.gateway.session;

import dev.earshot.spi.source.SessionOutcome;
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
     * Progress: {@code items} frames and flush markers ({@link Session#flush()}) have been decoded since the session
     * opened, counted in the order they were queued. Comes after the transcripts those items produced and before
     * those of later items, so an endpoint can answer each client message once its audio is decoded (the vosk-server
     * protocol's one reply per message). At most once per decoding run, not per frame.
     */
    default void onDecoded(long items) {
    }

    /**
     * The session closed by itself or was aborted by someone else ({@link Session#abort}): {@code outcome} is
     * {@link SessionOutcome.Kind#ENDED} after a graceful end, otherwise how and why it stopped. Not called when the
     * owner closed the session.
     */
    default void onClosed(SessionOutcome outcome) {
    }
}
