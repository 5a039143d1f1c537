package com.example.energyengine;

import dev.earshot.spi.audio.AudioFormat;
import dev.earshot.spi.audio.AudioFrame;
import dev.earshot.spi.engine.RecognitionListener;
import dev.earshot.spi.engine.Recognizer;
import dev.earshot.spi.transcript.Hypothesis;
import dev.earshot.spi.transcript.Word;

import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * Measures the level of every 20 ms window (RMS in dBFS). A window at or above the threshold starts or continues a
 * sound; {@code hang} of quieter windows ends it. A sound that lasted at least {@code min-sound} is reported as a
 * partial when it starts to count and as a final when it ends (or at {@link #flush()}).
 *
 * <p>Reports synchronously from {@link #accept} and {@link #flush} only, on the host's decoding thread, and never
 * after {@link #close()}: every report checks the closed flag first, so a listener that closes the recognizer from
 * its callback gets no further call.
 */
final class EnergyRecognizer implements Recognizer {

    static final int WINDOW_MS = 20;

    record Settings(int thresholdDb, Duration minSound, Duration hang, String label) {
    }

    private final Settings settings;
    private final RecognitionListener listener;
    private final int windowSamples;
    private final int minSoundWindows;
    private final int hangWindows;
    private volatile boolean closed;

    private int windowFill;
    private double windowEnergy;
    private long windows;          // windows analysed so far in this session
    private long soundStart = -1;  // window index where the current sound started, -1 when quiet
    private long lastLoud;         // window index of the current sound's last loud window
    private boolean reported;      // the current sound was reported as a partial

    EnergyRecognizer(Settings settings, AudioFormat format, RecognitionListener listener) {
        this.settings = settings;
        this.listener = listener;
        this.windowSamples = format.sampleRate() * WINDOW_MS / 1000;
        this.minSoundWindows = (int) Math.max(1, settings.minSound().toMillis() / WINDOW_MS);
        this.hangWindows = (int) Math.max(1, settings.hang().toMillis() / WINDOW_MS);
    }

    @Override
    public void accept(AudioFrame frame) {
        int count = frame.sampleCount();
        for (int i = 0; i < count && !closed; i++) {
            double sample = frame.sample(i) / 32768.0;
            windowEnergy += sample * sample;
            if (++windowFill == windowSamples) {
                endOfWindow(10 * Math.log10(windowEnergy / windowSamples + 1e-12));
                windowFill = 0;
                windowEnergy = 0;
            }
        }
    }

    private void endOfWindow(double levelDb) {
        long index = windows++;
        if (levelDb >= settings.thresholdDb()) {
            if (soundStart < 0) {
                soundStart = index;
                reported = false;
            }
            lastLoud = index;
            if (!reported && index - soundStart + 1 >= minSoundWindows) {
                reported = true;
                report(Hypothesis.partial(settings.label()));
            }
        } else if (soundStart >= 0 && index - lastLoud >= hangWindows) {
            endSound();
        }
    }

    private void endSound() {
        long length = lastLoud - soundStart + 1;
        if (length >= minSoundWindows) {
            double start = soundStart * WINDOW_MS / 1000.0;
            double end = (lastLoud + 1) * WINDOW_MS / 1000.0;
            String text = settings.label() + String.format(Locale.ROOT, " %.2f s", end - start);
            report(Hypothesis.finalResult(text, List.of(new Word(settings.label(), start, end, 1.0))));
        }
        soundStart = -1;
        reported = false;
    }

    private void report(Hypothesis hypothesis) {
        if (!closed) {
            listener.onHypothesis(hypothesis);
        }
    }

    /** Ends a sound still going on; the recognizer stays usable, and its times keep counting from the session's start. */
    @Override
    public void flush() {
        if (!closed && soundStart >= 0) {
            endSound();
        }
    }

    @Override
    public void close() {
        closed = true; // nothing else to release; reports check this flag
    }
}
