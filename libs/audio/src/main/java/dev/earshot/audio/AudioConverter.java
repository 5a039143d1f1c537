package dev.earshot.audio;

import java.time.Instant;
import java.util.Objects;

import dev.earshot.spi.audio.AudioFormat;
import dev.earshot.spi.audio.AudioFrame;

/**
 * Converts one session's audio to its speech engine's input format: down-mixes N channels to mono by averaging (or
 * keeps the channel count) and resamples between any two rates.
 *
 * <p><b>Use.</b> One converter per session, created at session start and used by one thread at a time (the
 * session's decoding worker) for every frame, then {@link #flush(long, Instant) flushed} once at the end of the
 * stream, after which it is finished. Work buffers are allocated up front and grown only when a larger frame than
 * any before arrives, so a frame costs no allocation beyond the output frame itself.
 *
 * <p><b>Channels.</b> N -> 1 averages the channels (rounded, in {@code int}, so it cannot overflow); N -> N keeps them.
 * Other changes are refused: engines take mono. Down-mixing happens before resampling, which then filters one
 * channel instead of N; the resampler gets the exact (unrounded) average.
 *
 * <p><b>Resampling.</b> A streaming polyphase windowed-sinc resampler for the ratio {@code L/M = outRate/inRate}
 * reduced by the gcd (44100 -> 16000 is 160/441, 48000 -> 16000 is 1/3, 8000 -> 16000 is 2/1). Design, relative to
 * {@code minRate = min(inRate, outRate)}:
 * <ul>
 *   <li>cut-off 0.45 x minRate; passband to 0.40 x minRate, stopband from 0.50 x minRate (for a 16 kHz side: flat to
 *       6.4 kHz, transition 6.4 .. 8 kHz, suppressed from 8 kHz up);</li>
 *   <li>Kaiser window, beta = 0.1102 x (80 - 8.7) = 7.857 (designed for 80 dB), I0 by its power series;</li>
 *   <li>taps per phase from Kaiser's estimate {@code (80 - 7.95) / (2.285 x 2 pi x 0.1 x minRate / inRate)}, rounded up
 *       to a multiple of 4; every phase normalised to unit DC gain.</li>
 * </ul>
 * <pre>
 *   ratio              L/M       taps/phase  bank (floats)
 *   8000  -> 16000     2/1           52          104
 *   11025 -> 16000     640/441       52       33 280
 *   22050 -> 16000     320/441       72       23 040
 *   32000 -> 16000     1/2          104          104
 *   44100 -> 16000     160/441      140       22 400
 *   48000 -> 16000     1/3          152          152
 *   16000 -> 8000      1/2          104          104
 * </pre>
 * Measured end to end through this class with 16-bit tones swept across the band ({@code AudioConverterTest}):
 * passband ripple within +-0.001 dB; tones of the stopband come out at least 82 dB down (at most -82 dBFS for a
 * full-scale input); aliases and images of in-band tones at least 85 dB down; a tone at 7 kHz, in the transition band
 * of 44.1 -> 16 kHz, is 2.4 dB down. Banks are designed once per reduced ratio and shared by all sessions (static
 * cache). Ratios whose L would make an exact bank too large (odd rates such as 47999 Hz: L = 16000) use a 512-phase
 * bank, interpolating linearly between adjacent phases, with the same measured figures. Cost: one dot product of
 * taps/phase per output sample and channel (float, four accumulators); 48 kHz stereo to 16 kHz mono runs several
 * hundred times faster than real time on one core.
 *
 * <p><b>Timing.</b> The filter is centred on each output's time, so output sample {@code n} is the input signal at
 * time {@code n / outRate}: no delay, no leading silence. The price is look-ahead: an output needs the input up to
 * {@code taps/2} input samples after its time, so the first frames may produce nothing ({@code null}) and the last
 * outputs come from {@link #flush}. After the flush, a stream of {@code N} input samples (per channel) has produced
 * exactly {@code round(N * outRate / inRate)} output samples (per channel). Output does not depend on how the input
 * was cut into frames. Output frames keep the sequence number and capture time of the input frame that completed
 * them; because of the look-ahead, their first samples may lie up to {@code taps/2} input samples before that
 * frame's capture time (they belong to the end of the previous frame).
 *
 * <p>Samples are computed in float and rounded to the nearest 16-bit value, saturating (a full-scale square wave
 * overshoots and is clipped, never wrapped).
 */
public final class AudioConverter {

    private final AudioFormat input;
    private final AudioFormat output;
    private final boolean identity;
    private final int inChannels;
    private final int outChannels;
    private final boolean downMix;
    /** Null when the rates are equal. */
    private final Resampler resampler;
    private final float inverseChannels;

    private short[] in = new short[0];
    private short[] out = new short[0];
    private boolean finished;

    private AudioConverter(AudioFormat input, AudioFormat output) {
        this.input = input;
        this.output = output;
        this.identity = input.equals(output);
        this.inChannels = input.channels();
        this.outChannels = output.channels();
        this.downMix = inChannels != outChannels;
        this.inverseChannels = 1f / inChannels;
        this.resampler = input.sampleRate() == output.sampleRate()
                ? null
                : new Resampler(PolyphaseFilter.forRates(input.sampleRate(), output.sampleRate()), outChannels);
    }

    /**
     * A converter from {@code input} to {@code output}.
     *
     * @throws IllegalArgumentException when the channel change is neither N -> 1 nor N -> N
     */
    public static AudioConverter create(AudioFormat input, AudioFormat output) {
        Objects.requireNonNull(input, "input format is null");
        Objects.requireNonNull(output, "output format is null");
        if (output.channels() != 1 && output.channels() != input.channels()) {
            throw new IllegalArgumentException("cannot convert " + channels(input.channels()) + " to "
                    + channels(output.channels()) + "; engines take mono (only N -> 1 and N -> N are supported)");
        }
        return new AudioConverter(input, output);
    }

    private static String channels(int n) {
        return n + (n == 1 ? " channel" : " channels");
    }

    public AudioFormat input() {
        return input;
    }

    public AudioFormat output() {
        return output;
    }

    /**
     * True when input equals output: {@link #convert} then returns the very same frame object (the pipeline must not
     * alter audio it need not convert).
     */
    public boolean isIdentity() {
        return identity;
    }

    /**
     * Converts one frame.
     *
     * @return the converted samples, with the input frame's sequence and capture time; the same object when this
     *         converter {@link #isIdentity() is the identity}; {@code null} when the frame produced no samples yet
     *         (filter warm-up, or an empty frame)
     * @throws IllegalArgumentException when the frame is not in the {@link #input()} format
     * @throws IllegalStateException    after {@link #flush}
     */
    public AudioFrame convert(AudioFrame frame) {
        Objects.requireNonNull(frame, "frame is null");
        if (finished) {
            throw new IllegalStateException("converter is finished (flushed); create a new one for a new stream");
        }
        if (!frame.format().equals(input)) {
            throw new IllegalArgumentException("frame is " + frame.format() + " but the converter takes " + input);
        }
        if (identity) {
            return frame;
        }
        int samples = frame.sampleCount();
        int frames = samples / inChannels;
        if (frames == 0) {
            return null;
        }
        if (in.length < samples) {
            in = new short[samples];
        }
        frame.copySamplesTo(in);
        int count = resampler == null ? downMix(frames) : resample(frames);
        return count == 0 ? null : AudioFrame.ofSamples(output, out, count, frame.sequence(), frame.captureTime());
    }

    /**
     * Ends the stream: returns the samples still held by the filter (its tail), or {@code null} when there are none
     * (always so without resampling). The converter is then finished: {@link #convert} and {@code flush} throw.
     *
     * @param sequence    sequence number for the returned frame
     * @param captureTime capture time for the returned frame
     * @throws IllegalStateException when already flushed
     */
    public AudioFrame flush(long sequence, Instant captureTime) {
        Objects.requireNonNull(captureTime, "captureTime is null");
        if (finished) {
            throw new IllegalStateException("converter is already finished (flushed)");
        }
        finished = true;
        if (resampler == null) {
            return null;
        }
        int frames = resampler.finish();
        if (frames == 0) {
            return null;
        }
        int count = frames * outChannels;
        ensureOut(count);
        resampler.produce(frames, out);
        return AudioFrame.ofSamples(output, out, count, sequence, captureTime);
    }

    /** Same rate, N -> 1: rounded average (half up), computed in int. */
    private int downMix(int frames) {
        ensureOut(frames);
        final short[] src = in;
        final short[] dst = out;
        final int n = inChannels;
        for (int f = 0, s = 0; f < frames; f++) {
            int sum = 0;
            for (int c = 0; c < n; c++) {
                sum += src[s++];
            }
            dst[f] = (short) Math.floorDiv(2 * sum + n, 2 * n);
        }
        return frames;
    }

    private int resample(int frames) {
        int at = resampler.beginAppend(frames);
        final short[] src = in;
        if (downMix) {
            final float[] dst = resampler.plane(0);
            final int n = inChannels;
            final float scale = inverseChannels;
            for (int f = 0, s = 0; f < frames; f++) {
                int sum = 0;
                for (int c = 0; c < n; c++) {
                    sum += src[s++];
                }
                dst[at + f] = sum * scale;
            }
        } else {
            final int n = inChannels;
            for (int c = 0; c < n; c++) {
                final float[] dst = resampler.plane(c);
                for (int f = 0, s = c; f < frames; f++, s += n) {
                    dst[at + f] = src[s];
                }
            }
        }
        resampler.endAppend(frames);
        int produced = resampler.available();
        if (produced == 0) {
            return 0;
        }
        int count = produced * outChannels;
        ensureOut(count);
        resampler.produce(produced, out);
        return count;
    }

    private void ensureOut(int count) {
        if (out.length < count) {
            out = new short[Math.max(count, out.length + out.length / 2)];
        }
    }

    /** The shared filter bank, or null without resampling; for tests. */
    PolyphaseFilter filter() {
        return resampler == null ? null : resampler.filter();
    }
}
