package dev.earshot.spi.audio;

import java.time.Duration;

/**
 * The format of PCM audio in Earshot: always signed 16-bit little-endian, interleaved when there is more than one
 * channel; what varies is the sample rate and the channel count.
 */
public record AudioFormat(int sampleRate, int channels) {

    public static final int MIN_SAMPLE_RATE = 4_000;
    public static final int MAX_SAMPLE_RATE = 192_000;
    public static final int MAX_CHANNELS = 8;

    /** 16 kHz mono: what most speech engines take. */
    public static final AudioFormat SPEECH_16K = new AudioFormat(16_000, 1);

    public AudioFormat {
        if (sampleRate < MIN_SAMPLE_RATE || sampleRate > MAX_SAMPLE_RATE) {
            throw new IllegalArgumentException("sample rate " + sampleRate + " Hz is not supported (expected "
                    + MIN_SAMPLE_RATE + " to " + MAX_SAMPLE_RATE + " Hz)");
        }
        if (channels < 1 || channels > MAX_CHANNELS) {
            throw new IllegalArgumentException(channels + " channels are not supported (expected 1 to " + MAX_CHANNELS + ")");
        }
    }

    /** Bytes per sample frame (one sample of every channel). */
    public int bytesPerFrame() {
        return 2 * channels;
    }

    public int bytesPerSecond() {
        return sampleRate * bytesPerFrame();
    }

    /** Bytes for the given duration, rounded down to whole sample frames. */
    public int bytesFor(Duration duration) {
        long frames = duration.toNanos() * sampleRate / 1_000_000_000L;
        return Math.toIntExact(frames * bytesPerFrame());
    }

    public Duration durationOf(long bytes) {
        return Duration.ofNanos(bytes / bytesPerFrame() * 1_000_000_000L / sampleRate);
    }

    @Override
    public String toString() {
        return sampleRate + " Hz " + (channels == 1 ? "mono" : channels == 2 ? "stereo" : channels + " channels") + " s16le";
    }
}
