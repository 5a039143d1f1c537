package dev.earshot.audio;

import dev.earshot.spi.audio.AudioFrame;

/**
 * The level of the last frame of a stream, in dBFS: peak (largest absolute sample) and RMS, both relative to 32768
 * (so a full-scale square wave reads 0 dBFS on both, a full-scale sine reads 0 dBFS peak and -3.0 dBFS RMS). All
 * channels of an interleaved frame count alike.
 *
 * <p>One writer (a session's decoding worker calls {@link #measure} for each frame), any number of readers. A
 * measurement reads the frame's samples in place: no allocation. Silence and anything below {@link #FLOOR_DBFS}
 * reads as {@link #FLOOR_DBFS}; before the first frame the levels are {@link Double#NaN}.
 */
public final class LevelMeter {

    /** The lowest level reported: below a 16-bit stream's smallest step (-90.3 dBFS), so it means silence. */
    public static final double FLOOR_DBFS = -100.0;

    private static final double FULL_SCALE = 32768.0;

    private volatile double peakDbfs = Double.NaN;
    private volatile double rmsDbfs = Double.NaN;

    /** Measures {@code frame}; an empty frame changes nothing. */
    public void measure(AudioFrame frame) {
        int count = frame.sampleCount();
        if (count == 0) {
            return;
        }
        int peak = 0;
        double sumOfSquares = 0;
        for (int i = 0; i < count; i++) {
            int sample = frame.sample(i);
            int magnitude = Math.abs(sample);
            if (magnitude > peak) {
                peak = magnitude;
            }
            sumOfSquares += (double) sample * sample;
        }
        peakDbfs = dbfs(peak);
        rmsDbfs = dbfs(Math.sqrt(sumOfSquares / count));
    }

    /** Peak level of the last frame in dBFS, {@link #FLOOR_DBFS} for silence, NaN before the first frame. */
    public double peakDbfs() {
        return peakDbfs;
    }

    /** RMS level of the last frame in dBFS, {@link #FLOOR_DBFS} for silence, NaN before the first frame. */
    public double rmsDbfs() {
        return rmsDbfs;
    }

    private static double dbfs(double amplitude) {
        if (amplitude <= 0) {
            return FLOOR_DBFS;
        }
        return Math.max(FLOOR_DBFS, 20 * Math.log10(amplitude / FULL_SCALE));
    }
}
