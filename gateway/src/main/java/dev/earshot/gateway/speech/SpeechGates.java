package dev.earshot.gateway.speech;

import dev.earshot.spi.audio.AudioFormat;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Makes the speech gates of a gateway's sessions. The detector's model is loaded at the first gated session (so a
 * gateway that gates nothing never loads ONNX Runtime) and shared by all; {@link #close()} releases it.
 * Thread-safe.
 */
public final class SpeechGates implements AutoCloseable {

    /** Where the distribution (and the tests' home) carries the detector's model, under the gateway's home. */
    public static final String MODEL = "model/silero-vad/silero_vad.onnx";
    static final Duration PRE_ROLL = Duration.ofMillis(300);
    static final Duration HANG_OVER = Duration.ofSeconds(1);
    private static final System.Logger LOG = System.getLogger(SpeechGates.class.getName());

    private final Path model;
    private SileroVad vad;
    private boolean closed;

    public SpeechGates(Path home) {
        this.model = home.resolve(MODEL).toAbsolutePath().normalize();
    }

    /**
     * A gate for one session whose recognizer takes {@code format}; null when the format cannot be gated (the
     * detector takes mono 16 or 8 kHz), which is logged.
     *
     * @throws IllegalStateException when the detector's model cannot be loaded (the message says why)
     */
    public SpeechGate open(AudioFormat format, String session) {
        if (format.channels() != 1 || (format.sampleRate() != 16_000 && format.sampleRate() != 8_000)) {
            LOG.log(System.Logger.Level.INFO, "session " + session + ": not gated, the speech gate takes mono 16 or 8 kHz"
                    + " and the engine takes " + format);
            return null;
        }
        return new SpeechGate(detector().stream(format.sampleRate()), format.sampleRate(), PRE_ROLL, HANG_OVER);
    }

    private synchronized SileroVad detector() {
        if (closed) {
            throw new IllegalStateException("the speech gates are closed");
        }
        if (vad == null) {
            long started = System.nanoTime();
            vad = SileroVad.load(model);
            LOG.log(System.Logger.Level.INFO, "speech gate: loaded " + model + " in "
                    + (System.nanoTime() - started) / 1_000_000 + " ms");
        }
        return vad;
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (vad != null) {
            vad.close();
            vad = null;
        }
    }
}
