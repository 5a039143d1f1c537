package dev.earshot.gateway.speech;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;

import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The Silero voice activity detector (v5, MIT licence) run by ONNX Runtime: one loaded model for the whole gateway,
 * shared by every stream, and a small {@link Stream} state per session. A window of 512 samples at 16 kHz (256 at
 * 8 kHz), 32 ms, gives the probability that it holds speech.
 *
 * <p>The model is loaded on first use, so a gateway whose pipelines gate nothing never loads ONNX Runtime's native
 * library. {@link OrtSession#run} is thread-safe; each stream's recurrent state is its own.
 */
public final class SileroVad implements AutoCloseable {

    /** Samples the model's context carries over from the previous window, at 16 kHz (half at 8 kHz). */
    private static final int CONTEXT_16K = 64;

    private final OrtEnvironment environment;
    private final OrtSession session;
    private final Path model;

    private SileroVad(OrtEnvironment environment, OrtSession session, Path model) {
        this.environment = environment;
        this.session = session;
        this.model = model;
    }

    /**
     * Loads the model.
     *
     * @throws IllegalStateException when the file is missing or ONNX Runtime cannot load it (the message says which)
     */
    public static SileroVad load(Path model) {
        if (!Files.isRegularFile(model)) {
            throw new IllegalStateException("the speech gate's model " + model + " does not exist; the build puts it"
                    + " in model/silero-vad/ of the distribution (or turn the gate off:"
                    + " earshot.pipelines.<name>.speech-gate=off)");
        }
        try {
            OrtEnvironment environment = OrtEnvironment.getEnvironment();
            OrtSession.SessionOptions options = new OrtSession.SessionOptions();
            // One stream's window is tiny: more threads cost more than they save, and decoding has the cores.
            options.setIntraOpNumThreads(1);
            options.setInterOpNumThreads(1);
            return new SileroVad(environment, environment.createSession(model.toString(), options), model);
        } catch (OrtException | RuntimeException | UnsatisfiedLinkError e) {
            throw new IllegalStateException("cannot load the speech gate's model " + model + " with ONNX Runtime: " + e, e);
        }
    }

    public Path model() {
        return model;
    }

    /** A stream's detector state, at 16000 or 8000 Hz. One thread at a time. */
    public Stream stream(int sampleRate) {
        if (sampleRate != 16_000 && sampleRate != 8_000) {
            throw new IllegalArgumentException("the speech gate takes 16000 or 8000 Hz, not " + sampleRate);
        }
        return new Stream(sampleRate);
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            // nothing left to release
        }
    }

    /** One stream: the model's recurrent state and the context of the previous window. */
    public final class Stream {
        private final int sampleRate;
        private final int window;
        private final int contextSize;
        private final float[] input;
        private float[] state = new float[2 * 128];

        private Stream(int sampleRate) {
            this.sampleRate = sampleRate;
            this.window = sampleRate == 16_000 ? 512 : 256;
            this.contextSize = sampleRate == 16_000 ? CONTEXT_16K : CONTEXT_16K / 2;
            this.input = new float[contextSize + window];
        }

        /** Samples per window: 512 at 16 kHz, 256 at 8 kHz. */
        public int window() {
            return window;
        }

        /**
         * The probability that one window holds speech.
         *
         * @param samples 16-bit samples; {@link #window()} of them from {@code offset}
         */
        public float probability(short[] samples, int offset) {
            System.arraycopy(input, window, input, 0, contextSize);
            for (int i = 0; i < window; i++) {
                input[contextSize + i] = samples[offset + i] / 32768f;
            }
            try (OnnxTensor x = OnnxTensor.createTensor(environment, FloatBuffer.wrap(input), new long[]{1, input.length});
                 OnnxTensor h = OnnxTensor.createTensor(environment, FloatBuffer.wrap(state), new long[]{2, 1, 128});
                 OnnxTensor sr = OnnxTensor.createTensor(environment, (long) sampleRate);
                 OrtSession.Result result = session.run(Map.of("input", x, "state", h, "sr", sr))) {
                float[][] output = (float[][]) result.get("output").orElseThrow().getValue();
                float[][][] next = (float[][][]) result.get("stateN").orElseThrow().getValue();
                float[] flat = new float[2 * 128];
                System.arraycopy(next[0][0], 0, flat, 0, 128);
                System.arraycopy(next[1][0], 0, flat, 128, 128);
                state = flat;
                return output[0][0];
            } catch (OrtException e) {
                throw new IllegalStateException("speech gate: the detector failed: " + e.getMessage(), e);
            }
        }
    }
}
