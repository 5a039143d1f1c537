package dev.earshot.gateway.speech;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
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

    /**
     * One stream: the model's recurrent state and the context of the previous window, in direct buffers that its
     * three input tensors wrap, made once: a window writes its samples into the buffer and runs the model, and no
     * tensor or array is made per window. (Three new tensors and the outputs read as nested arrays per window, as
     * first written, took 5-7% more time per window once compiled, 1.6-1.8 times as much before.) One thread at a
     * time; {@link #close()} releases the tensors.
     */
    public final class Stream implements SpeechGate.Detector, AutoCloseable {
        private final int window;
        private final int contextSize;
        private final float[] samples;
        private final FloatBuffer input;
        private final FloatBuffer state;
        private final OnnxTensor inputTensor;
        private final OnnxTensor stateTensor;
        private final OnnxTensor rateTensor;
        private final Map<String, OnnxTensor> inputs;
        private boolean closed;

        private Stream(int sampleRate) {
            this.window = sampleRate == 16_000 ? 512 : 256;
            this.contextSize = sampleRate == 16_000 ? CONTEXT_16K : CONTEXT_16K / 2;
            this.samples = new float[contextSize + window];
            this.input = direct(samples.length);
            this.state = direct(2 * 128);
            OnnxTensor x = null;
            OnnxTensor h = null;
            try {
                x = OnnxTensor.createTensor(environment, input, new long[]{1, samples.length});
                h = OnnxTensor.createTensor(environment, state, new long[]{2, 1, 128});
                this.rateTensor = OnnxTensor.createTensor(environment, (long) sampleRate);
            } catch (OrtException e) {
                closeQuietly(x);
                closeQuietly(h);
                throw new IllegalStateException("speech gate: cannot make the detector's tensors: " + e.getMessage(), e);
            }
            this.inputTensor = x;
            this.stateTensor = h;
            this.inputs = Map.of("input", inputTensor, "state", stateTensor, "sr", rateTensor);
        }

        /** Samples per window: 512 at 16 kHz, 256 at 8 kHz. */
        @Override
        public int window() {
            return window;
        }

        /**
         * The probability that one window holds speech.
         *
         * @param samples 16-bit samples; {@link #window()} of them from {@code offset}
         */
        @Override
        public float probability(short[] samples, int offset) {
            if (closed) {
                throw new IllegalStateException("speech gate: the detector's stream is closed");
            }
            float[] next = this.samples;
            System.arraycopy(next, window, next, 0, contextSize);
            for (int i = 0; i < window; i++) {
                next[contextSize + i] = samples[offset + i] / 32768f;
            }
            input.clear();
            input.put(next);
            try (OrtSession.Result result = session.run(inputs)) {
                float speech = ((OnnxTensor) result.get("output").orElseThrow()).getFloatBuffer().get(0);
                state.clear();
                state.put(((OnnxTensor) result.get("stateN").orElseThrow()).getFloatBuffer());
                return speech;
            } catch (OrtException e) {
                throw new IllegalStateException("speech gate: the detector failed: " + e.getMessage(), e);
            }
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                inputTensor.close();
                stateTensor.close();
                rateTensor.close();
            }
        }
    }

    private static FloatBuffer direct(int floats) {
        return ByteBuffer.allocateDirect(floats * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    private static void closeQuietly(OnnxTensor tensor) {
        if (tensor != null) {
            tensor.close();
        }
    }
}
