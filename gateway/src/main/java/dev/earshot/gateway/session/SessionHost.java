package dev.earshot.gateway.session;

import dev.earshot.gateway.speech.SpeechGate;
import dev.earshot.spi.audio.AudioFormat;
import dev.earshot.spi.source.SessionOutcome;
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

    /** Runs the session-stop hooks and forgets the session; {@code outcome}: how the session ended. */
    void stopSession(Session session, SessionOutcome outcome, boolean hooksStarted);

    /**
     * The speech gate of a session that starts decoding, or null when the pipeline's {@code speech-gate} does not gate
     * its origin or the gate cannot be had (the session is then decoded whole). On the session's decoding task.
     */
    SpeechGate openSpeechGate(Session session);

    /** Hands one transcript event to the sinks and the bus. */
    void publish(TranscriptEvent event);

    void frameIn();

    void frameDropped();

    void sessionFailed();

    void decoded(long decodeTimeNanos, long audioTimeNanos);

    /** What a session's speech gate did since its last report: detector time, frames and audio kept back. */
    void gated(long detectorNanos, long frames, long audioNanos);
}
