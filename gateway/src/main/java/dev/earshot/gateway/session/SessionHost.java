package dev.earshot.gateway.session;

import dev.earshot.spi.audio.AudioFormat;
import dev.earshot.spi.transcript.TranscriptEvent;

/**
 * What a {@link Session} needs from the pipeline that opened it: its engine, the hooks around its start and stop,
 * where its transcripts go, and the counters it feeds. The pipeline implements it; the session never sees the
 * pipeline itself.
 */
public interface SessionHost {

    /** The pipeline's name, for transcripts and logs. */
    String name();

    EngineInstance engine();

    /** The format the engine decodes; the session converts its input to it. */
    AudioFormat engineFormat();

    /** Runs the session-start hooks; returns why the session may not start, or null. */
    String startSession(Session session);

    /** Runs the session-stop hooks and forgets the session; {@code reason} as the session ended. */
    void stopSession(Session session, String reason, boolean hooksStarted);

    /** Hands one transcript event to the sinks and the bus. */
    void publish(TranscriptEvent event);

    void frameIn();

    void frameDropped();

    void sessionFailed();

    void decoded(long decodeTimeNanos, long audioTimeNanos);
}
