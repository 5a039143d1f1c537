package dev.earshot.audio;

import java.util.Arrays;

/**
 * Streaming polyphase resampler over one or more planar channels of float samples, writing rounded, clipped 16-bit
 * interleaved output. Not thread-safe; one per session.
 *
 * <p>Output sample {@code n} lies at input time {@code n * M / L} (input samples); with {@code base = floor(n*M/L)}
 * and phase {@code p = n*M mod L} it is the dot product of phase {@code p} of the bank with input samples
 * {@code base - taps/2 + 1 .. base + taps/2}. Input before the first sample and after the last (at {@link #finish()})
 * is zero. An output is computed as soon as the last input sample it needs has arrived, from a window of the history
 * that does not depend on how the input was chunked, so the output is the same for any chunking.
 */
final class Resampler {

    private final PolyphaseFilter filter;
    private final float[] coefficients;
    private final int channels;
    private final int up;
    private final int taps;
    private final int half;
    private final int stepWhole;
    private final int stepRemainder;

    /** Input history per channel: {@code history[c][k]} is input sample {@code historyStart + k}. */
    private float[][] history;
    private int capacity;
    private int length;
    private long historyStart;
    /** Input samples per channel received so far. */
    private long received;

    /** Index of the next output sample, and its base input sample and phase. */
    private long produced;
    private long base;
    private int phase;

    Resampler(PolyphaseFilter filter, int channels) {
        this.filter = filter;
        this.coefficients = filter.coefficients;
        this.channels = channels;
        this.up = filter.up;
        this.taps = filter.taps;
        this.half = filter.taps / 2;
        this.stepWhole = filter.down / filter.up;
        this.stepRemainder = filter.down % filter.up;
        this.capacity = taps + 4096;
        this.history = new float[channels][capacity];
        // The window of output 0 starts half - 1 samples before input 0: those are zeros (arrays start zeroed).
        this.length = half - 1;
        this.historyStart = -(half - 1);
    }

    PolyphaseFilter filter() {
        return filter;
    }

    long received() {
        return received;
    }

    /**
     * Makes room for {@code count} more samples per channel and returns the index in {@link #plane(int)} to write
     * them at; {@link #endAppend(int)} commits them.
     */
    int beginAppend(int count) {
        if (length + count > capacity) {
            compact();
            if (length + count > capacity) {
                grow(Math.max(2 * capacity, length + count));
            }
        }
        return length;
    }

    /** The history of channel {@code c}; valid until the next {@link #beginAppend(int)}. */
    float[] plane(int c) {
        return history[c];
    }

    void endAppend(int count) {
        length += count;
        received += count;
    }

    /** How many output samples (per channel) the input received so far allows. */
    int available() {
        long usable = historyStart + length - half; // outputs whose time is before this input index are computable
        if (usable <= 0) {
            return 0;
        }
        long limit = (usable * up + filter.down - 1) / filter.down; // ceil(usable * L / M)
        return (int) Math.max(0, limit - produced);
    }

    /**
     * End of input: appends the zeros that follow the last sample and returns how many output samples (per channel)
     * remain so that the total is {@code round(received * L / M)}.
     */
    int finish() {
        int at = beginAppend(half);
        for (int c = 0; c < channels; c++) {
            Arrays.fill(history[c], at, at + half, 0f);
        }
        length += half;
        long total = (2 * received * up + filter.down) / (2L * filter.down);
        return (int) Math.max(0, Math.min(total - produced, available()));
    }

    /** Computes the next {@code count} output samples into {@code out}, interleaved, from index 0. */
    void produce(int count, short[] out) {
        final float[] coef = coefficients;
        final int n = taps;
        for (int j = 0; j < count; j++) {
            int xo = (int) (base - half + 1 - historyStart);
            if (!filter.interpolated) {
                int co = phase * n;
                for (int c = 0; c < channels; c++) {
                    out[j * channels + c] = clip(dot(coef, co, history[c], xo, n));
                }
            } else {
                long position = (long) phase * filter.phases;
                int p = (int) (position / up);
                float fraction = (float) (position - (long) p * up) / up;
                int co = p * n;
                for (int c = 0; c < channels; c++) {
                    float a = dot(coef, co, history[c], xo, n);
                    float b = dot(coef, co + n, history[c], xo, n);
                    out[j * channels + c] = clip(a + fraction * (b - a));
                }
            }
            produced++;
            base += stepWhole;
            phase += stepRemainder;
            if (phase >= up) {
                phase -= up;
                base++;
            }
        }
    }

    /** Dot product of {@code n} (a multiple of 4) coefficients and samples, with four accumulators. */
    private static float dot(float[] c, int co, float[] x, int xo, int n) {
        float a0 = 0;
        float a1 = 0;
        float a2 = 0;
        float a3 = 0;
        for (int i = 0; i < n; i += 4) {
            a0 += c[co + i] * x[xo + i];
            a1 += c[co + i + 1] * x[xo + i + 1];
            a2 += c[co + i + 2] * x[xo + i + 2];
            a3 += c[co + i + 3] * x[xo + i + 3];
        }
        return (a0 + a1) + (a2 + a3);
    }

    /** Rounds to the nearest 16-bit value, saturating. */
    static short clip(float v) {
        if (v >= 32767f) {
            return Short.MAX_VALUE;
        }
        if (v <= -32768f) {
            return Short.MIN_VALUE;
        }
        return (short) Math.round(v);
    }

    /** Drops the history before the window of the next output. */
    private void compact() {
        long keepFrom = base - half + 1;
        int drop = (int) Math.min(length, Math.max(0, keepFrom - historyStart));
        if (drop == 0) {
            return;
        }
        int keep = length - drop;
        for (int c = 0; c < channels; c++) {
            System.arraycopy(history[c], drop, history[c], 0, keep);
        }
        length = keep;
        historyStart += drop;
    }

    private void grow(int newCapacity) {
        for (int c = 0; c < channels; c++) {
            history[c] = Arrays.copyOf(history[c], newCapacity);
        }
        capacity = newCapacity;
    }
}
