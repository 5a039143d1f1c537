package dev.earshot.spi.audio;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.time.Instant;

import static java.util.Objects.requireNonNull;

/**
 * An immutable chunk of PCM audio (s16le, see {@link AudioFormat}) with its position in the stream: its
 * {@link #sequence()} and {@link #captureTime()}.
 */
public final class AudioFrame {

    private final AudioFormat format;
    private final byte[] pcm;
    private final long sequence;
    private final Instant captureTime;

    private AudioFrame(AudioFormat format, byte[] pcm, long sequence, Instant captureTime) {
        this.format = requireNonNull(format, "format is null");
        this.pcm = pcm;
        this.sequence = sequence;
        this.captureTime = requireNonNull(captureTime, "captureTime is null");
        if (pcm.length % format.bytesPerFrame() != 0) {
            throw new IllegalArgumentException("frame of " + pcm.length + " bytes does not hold whole samples of " + format);
        }
        if (sequence < 0) {
            throw new IllegalArgumentException("sequence is negative: " + sequence);
        }
    }

    /** A frame holding a copy of {@code length} bytes of {@code pcm} from {@code offset}. */
    public static AudioFrame copyOf(AudioFormat format, byte[] pcm, int offset, int length, long sequence, Instant captureTime) {
        byte[] copy = new byte[length];
        System.arraycopy(pcm, offset, copy, 0, length);
        return new AudioFrame(format, copy, sequence, captureTime);
    }

    /** A frame of 16-bit samples (interleaved when there are several channels). */
    public static AudioFrame ofSamples(AudioFormat format, short[] samples, int count, long sequence, Instant captureTime) {
        byte[] bytes = new byte[count * 2];
        for (int i = 0; i < count; i++) {
            bytes[2 * i] = (byte) samples[i];
            bytes[2 * i + 1] = (byte) (samples[i] >> 8);
        }
        return new AudioFrame(format, bytes, sequence, captureTime);
    }

    public AudioFormat format() {
        return format;
    }

    /** 0, 1, 2, ... per session, in capture order; a gap means frames were dropped. */
    public long sequence() {
        return sequence;
    }

    /** Wall-clock time the first sample was captured (or read, for files). */
    public Instant captureTime() {
        return captureTime;
    }

    /** Length of the PCM data in bytes. */
    public int length() {
        return pcm.length;
    }

    /** Number of 16-bit samples, all channels counted. */
    public int sampleCount() {
        return pcm.length / 2;
    }

    /** The {@code index}-th 16-bit sample (interleaved order). */
    public short sample(int index) {
        return (short) ((pcm[2 * index] & 0xff) | (pcm[2 * index + 1] << 8));
    }

    public Duration duration() {
        return format.durationOf(pcm.length);
    }

    /** A read-only little-endian view of the PCM data. */
    public ByteBuffer pcm() {
        return ByteBuffer.wrap(pcm).asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Copies the PCM data into {@code target} at {@code offset}; lets engines reuse one buffer per session. */
    public void copyTo(byte[] target, int offset) {
        System.arraycopy(pcm, 0, target, offset, pcm.length);
    }

    /** Copies the samples into {@code target} from index 0 and returns how many were copied. */
    public int copySamplesTo(short[] target) {
        int count = sampleCount();
        for (int i = 0; i < count; i++) {
            target[i] = (short) ((pcm[2 * i] & 0xff) | (pcm[2 * i + 1] << 8));
        }
        return count;
    }

    @Override
    public String toString() {
        return "AudioFrame[" + sequence + ", " + pcm.length + " bytes, " + format + "]";
    }
}
