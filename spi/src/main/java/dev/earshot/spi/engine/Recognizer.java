package dev.earshot.spi.engine;

import dev.earshot.spi.audio.AudioFrame;

/**
 * Turns one session's audio into hypotheses. Made once per session and reused for every frame.
 *
 * <h2>Threading</h2>
 * The host calls {@link #accept}, {@link #flush} and {@link #close} from the session's decoding worker only: one
 * call at a time, in order, never on an event loop. They may block while decoding. A recognizer reports to its
 * {@link RecognitionListener} either synchronously from inside those calls or from a thread of its own (e.g. an
 * out-of-process engine's reader); the host serialises what it receives.
 *
 * <h2>Close</h2>
 * {@code close()} is idempotent. After it returns the recognizer calls its listener no more (the host also
 * discards anything that arrives late).
 */
public interface Recognizer extends AutoCloseable {

    /** Decodes one frame in the engine's {@link SpeechEngine#inputFormat()}. */
    void accept(AudioFrame frame) throws Exception;

    /**
     * End of an utterance stream (end of input, or a client's reset): report a final hypothesis for the audio
     * buffered so far, if it holds any speech. The recognizer stays usable for more audio.
     */
    void flush() throws Exception;

    /** Releases the recognizer (native decoder, connection). */
    @Override
    void close();
}
