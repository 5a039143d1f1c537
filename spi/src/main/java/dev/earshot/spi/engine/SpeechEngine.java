package dev.earshot.spi.engine;

import dev.earshot.spi.audio.AudioFormat;

import java.util.List;
import java.util.Optional;

/**
 * A speech-to-text engine: shared, long-lived state (a loaded model) from which one {@link Recognizer} per session
 * is made. Shared by every pipeline that names it, so it must be thread-safe.
 */
public interface SpeechEngine extends AutoCloseable {

    /**
     * The audio format recognizers take. The host converts every session's audio to it (resampling and down-mixing)
     * and passes frames through untouched when the session's format already matches.
     */
    AudioFormat inputFormat();

    /**
     * Creates the recognizer for one session. Called exactly once per session, when it starts, on that session's
     * decoding worker (never an event loop); may block, e.g. to allocate a native decoder.
     *
     * @param listener receives the recognizer's hypotheses; see {@link Recognizer} for when it may be called
     */
    Recognizer createRecognizer(RecognizerOptions options, RecognitionListener listener) throws Exception;

    /**
     * The engine's health, asked for by the host's readiness check and API; cheap, non-blocking and thread-safe.
     * In-process engines are up once created; engines that depend on something that can fail at run time (a child
     * process, a server) report it here.
     */
    default EngineHealth health() {
        return EngineHealth.up();
    }

    /**
     * What the engine's model is (name, maker, languages), for clients that list models. The default is empty: the
     * host then describes the engine by its id and type.
     */
    default Optional<ModelInfo> modelInfo() {
        return Optional.empty();
    }

    /**
     * Figures the engine keeps about itself (recognizers pooled, models loaded), which the host exports in
     * {@code /q/metrics} tagged with the engine's id: asked once, after the engine is created; each value is then read
     * on every scrape. The default is none.
     */
    default List<EngineStat> stats() {
        return List.of();
    }

    /**
     * Releases the shared state. Called once, after every recognizer made from this engine has been closed.
     * Idempotent and thread-safe.
     */
    @Override
    void close();
}
