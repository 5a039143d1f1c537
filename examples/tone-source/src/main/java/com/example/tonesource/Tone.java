package com.example.tonesource;

import dev.earshot.spi.audio.AudioFormat;

import java.time.Duration;

/**
 * The signal: a sine of {@code frequency} Hz at {@code levelDb} dBFS peak during {@code beep}, then silence during
 * {@code pause}, repeated. {@link #sample(long)} is a pure function of the sample's index, so frames never drift.
 */
record Tone(int sampleRate, int frequency, int levelDb, Duration beep, Duration pause) {

    AudioFormat format() {
        return new AudioFormat(sampleRate, 1);
    }

    /** The 16-bit sample at {@code index} (counted from the session's start). */
    short sample(long index) {
        long beepSamples = beep.toNanos() * sampleRate / 1_000_000_000L;
        long period = beepSamples + pause.toNanos() * sampleRate / 1_000_000_000L;
        if (index % period >= beepSamples) {
            return 0;
        }
        double amplitude = Math.pow(10, levelDb / 20.0) * 32767;
        return (short) Math.round(amplitude * Math.sin(2 * Math.PI * frequency * (double) index / sampleRate));
    }
}
