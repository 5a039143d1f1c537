package dev.earshot.plugins.vosk;

import dev.earshot.spi.audio.AudioFormat;
import dev.earshot.spi.audio.AudioFrame;
import dev.earshot.spi.engine.RecognitionListener;
import dev.earshot.spi.engine.Recognizer;
import dev.earshot.spi.transcript.Hypothesis;

import java.io.IOException;

import static java.util.Objects.requireNonNull;

/**
 * One session's recognizer: a native {@link org.vosk.Recognizer} on the engine's shared model, new or kept warm
 * from an earlier session (its word times are then moved back to this session's clock).
 *
 * <h2>What is reported</h2>
 * <ul>
 *   <li>{@link #accept}: when Vosk ends an utterance (its endpointer saw enough silence), the final hypothesis,
 *       <em>even when its text is empty</em> — Vosk ends silent or noise-only stretches that way, and the empty
 *       final tells a client that a partial it showed was retracted (vosk-server sends these too). Otherwise the
 *       partial hypothesis, only when its text differs from the last partial reported since the last final (the
 *       first partial of an utterance is reported only when it is not empty).</li>
 *   <li>{@link #flush}: the final hypothesis of the audio buffered so far, only when its text is not empty
 *       (the SPI asks for a final "if it holds any speech"). Vosk then starts a new utterance: the recognizer keeps
 *       decoding whatever is accepted next.</li>
 * </ul>
 * Hypotheses are reported synchronously, on the calling thread, from inside {@code accept} and {@code flush}.
 *
 * <h2>Threading</h2>
 * The host calls one method at a time, but every method is also safe to call concurrently: they serialise on one
 * lock, which is held while the listener runs. So once {@link #close()} has returned the listener is never called
 * again, and a {@code close()} from another thread waits for a running {@code accept} to finish. A listener may
 * call {@code close()} itself.
 *
 * <h2>Memory</h2>
 * Frames are copied into one reusable buffer that grows to the largest frame seen; nothing else is allocated per
 * frame on the Java side apart from the result strings Vosk returns and their parse.
 */
final class VoskRecognizer implements Recognizer {

    /** Where a closed recognizer's native recognizer goes: back to its engine, which keeps it warm or frees it. */
    interface Release {
        /**
         * @param recognizer the native recognizer, no longer used by this object
         * @param samples    samples it has decoded in all, over every session that used it (its clock)
         * @param reusable   false when a call failed: the native state is not known, so it must be freed
         */
        void release(org.vosk.Recognizer recognizer, long samples, boolean reusable);
    }

    private final Object lock = new Object();
    private final org.vosk.Recognizer recognizer;
    private final AudioFormat format;
    private final RecognitionListener listener;
    private final Release release;
    /** Seconds the native recognizer had decoded before this session: its word times count from its first audio. */
    private final double offsetSeconds;

    /** Guarded by lock. */
    private byte[] buffer;
    /** Guarded by lock: the text of the last partial reported since the last final. */
    private String lastPartial = "";
    /** Guarded by lock. */
    private boolean closed;
    /** Guarded by lock: samples the native recognizer has decoded in all, earlier sessions included. */
    private long samples;
    /** Guarded by lock: a call to the native recognizer or the listener failed. */
    private boolean failed;

    /**
     * @param recognizer a configured native recognizer, owned by this object until {@link #close()}
     * @param samples    samples the native recognizer decoded before (0 for a new one; a warm one counts on)
     * @param release    called once, from {@link #close()}, with the native recognizer
     */
    VoskRecognizer(org.vosk.Recognizer recognizer, long samples, AudioFormat format, RecognitionListener listener,
                   Release release) {
        this.recognizer = requireNonNull(recognizer, "recognizer is null");
        this.format = requireNonNull(format, "format is null");
        this.listener = requireNonNull(listener, "listener is null");
        this.release = requireNonNull(release, "release is null");
        this.samples = samples;
        this.offsetSeconds = samples / (double) format.sampleRate();
        this.buffer = new byte[format.bytesPerSecond() / 5]; // 200 ms, grown when a larger frame comes
    }

    /**
     * Decodes one frame.
     *
     * @throws IllegalArgumentException when the frame is not in the engine's input format
     * @throws IllegalStateException    when the recognizer is closed
     * @throws IOException              when Vosk returns a result that cannot be read
     */
    @Override
    public void accept(AudioFrame frame) throws IOException {
        requireNonNull(frame, "frame is null");
        if (!frame.format().equals(format)) {
            throw new IllegalArgumentException("frame format " + frame.format()
                    + " does not match the Vosk engine's input format " + format
                    + "; convert the audio to " + format + " first");
        }
        synchronized (lock) {
            ensureOpen();
            int length = frame.length();
            if (length == 0) {
                return;
            }
            if (buffer.length < length) {
                buffer = new byte[length];
            }
            frame.copyTo(buffer, 0);
            boolean done = false;
            try {
                samples += frame.sampleCount();
                if (recognizer.acceptWaveForm(buffer, length)) {
                    Hypothesis hypothesis = VoskJson.finalHypothesis(recognizer.getResult(), offsetSeconds);
                    lastPartial = "";
                    listener.onHypothesis(hypothesis);
                } else {
                    String partial = VoskJson.partialText(recognizer.getPartialResult());
                    if (!partial.equals(lastPartial)) {
                        lastPartial = partial;
                        listener.onHypothesis(Hypothesis.partial(partial));
                    }
                }
                done = true;
            } finally {
                failed |= !done;
            }
        }
    }

    /**
     * Ends the current utterance: reports its final hypothesis when it has text, and readies the recognizer for
     * more audio.
     *
     * @throws IllegalStateException when the recognizer is closed
     * @throws IOException           when Vosk returns a result that cannot be read
     */
    @Override
    public void flush() throws IOException {
        synchronized (lock) {
            ensureOpen();
            boolean done = false;
            try {
                Hypothesis hypothesis = VoskJson.finalHypothesis(recognizer.getFinalResult(), offsetSeconds);
                lastPartial = "";
                if (!hypothesis.text().isEmpty()) {
                    listener.onHypothesis(hypothesis);
                }
                done = true;
            } finally {
                failed |= !done;
            }
        }
    }

    /**
     * Gives the native recognizer back to the engine, which keeps it warm for another session or frees it.
     * Idempotent and thread-safe; see the class comment.
     */
    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            release.release(recognizer, samples, !failed);
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("the Vosk recognizer is closed");
        }
    }
}
