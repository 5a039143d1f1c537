package com.example.energyengine;

import java.util.Random;

/** 16 kHz mono s16le test audio: tone bursts between quiet stretches of low noise. */
final class Signals {

    static final int RATE = 16_000;

    private Signals() {
    }

    /**
     * {@code quiet} seconds of noise at about -60 dBFS, then for each burst length {@code burst} seconds of a 440 Hz
     * tone at {@code amplitude} (0..1) followed by {@code quiet} seconds of noise again.
     */
    static byte[] bursts(double amplitude, double quiet, double... bursts) {
        Random noise = new Random(42);
        int total = (int) (RATE * quiet);
        for (double burst : bursts) {
            total += (int) (RATE * burst) + (int) (RATE * quiet);
        }
        byte[] pcm = new byte[total * 2];
        int at = 0;
        at = fill(pcm, at, (int) (RATE * quiet), 0, noise);
        for (double burst : bursts) {
            at = fill(pcm, at, (int) (RATE * burst), amplitude, noise);
            at = fill(pcm, at, (int) (RATE * quiet), 0, noise);
        }
        return pcm;
    }

    private static int fill(byte[] pcm, int at, int samples, double amplitude, Random noise) {
        for (int i = 0; i < samples; i++, at++) {
            double value = amplitude * Math.sin(2 * Math.PI * 440 * i / RATE) + 0.001 * noise.nextGaussian();
            short sample = (short) Math.max(Short.MIN_VALUE, Math.min(Short.MAX_VALUE, Math.round(value * 32767)));
            pcm[2 * at] = (byte) sample;
            pcm[2 * at + 1] = (byte) (sample >> 8);
        }
        return at;
    }
}
