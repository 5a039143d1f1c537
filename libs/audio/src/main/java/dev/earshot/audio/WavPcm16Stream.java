package dev.earshot.audio;

import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;

import dev.earshot.spi.audio.AudioFormat;
import dev.earshot.audio.Wav.Header;

import static dev.earshot.audio.Wav.*;

/** Converts a WAV data stream to s16le, whole sample frames at a time. Not thread-safe, like most streams. */
final class WavPcm16Stream extends InputStream {

    private final InputStream in;
    private final Header header;
    private final int sampleBytes;
    private final int frameBytes;
    private final byte[] source;
    private final byte[] out;
    /** Input bytes not yet read from {@code in}, or UNKNOWN_LENGTH. */
    private long remaining;
    private long consumed;
    /** Bytes of an incomplete sample frame kept at the start of {@code source}. */
    private int carried;
    private int outPosition;
    private int outLimit;
    private boolean endOfInput;

    WavPcm16Stream(InputStream in, Header header) {
        this.in = in;
        this.header = header;
        this.sampleBytes = header.bitsPerSample() / 8;
        this.frameBytes = header.blockAlign();
        this.source = new byte[frameBytes * Math.max(1, 8192 / frameBytes)];
        this.out = new byte[source.length / sampleBytes * 2];
        this.remaining = header.dataLength();
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] target, int offset, int length) throws IOException {
        Objects.checkFromIndexSize(offset, length, target.length);
        if (length == 0) {
            return 0;
        }
        while (outPosition == outLimit) {
            if (endOfInput) {
                return -1;
            }
            fill();
        }
        int count = Math.min(length, outLimit - outPosition);
        System.arraycopy(out, outPosition, target, offset, count);
        outPosition += count;
        return count;
    }

    @Override
    public int available() throws IOException {
        return outLimit - outPosition;
    }

    @Override
    public void close() throws IOException {
        in.close();
    }

    private void fill() throws IOException {
        if (remaining == 0) {
            endOfInput = true;
            return;
        }
        int want = source.length - carried;
        if (remaining > 0) {
            want = (int) Math.min(want, remaining);
        }
        int got = in.read(source, carried, want);
        if (got < 0) {
            if (remaining > 0) {
                throw truncated(header.dataLength(), consumed);
            }
            endOfInput = true; // an incomplete last frame of a stream of unknown length is dropped
            return;
        }
        consumed += got;
        if (remaining > 0) {
            remaining -= got;
        }
        int available = carried + got;
        int whole = available - available % frameBytes;
        convert(whole);
        carried = available - whole;
        System.arraycopy(source, whole, source, 0, carried);
    }

    private void convert(int length) {
        int o = 0;
        int bits = header.bitsPerSample();
        boolean isFloat = header.encoding() == IEEE_FLOAT;
        for (int i = 0; i < length; i += sampleBytes) {
            int sample;
            if (isFloat) {
                int raw = (source[i] & 0xff) | (source[i + 1] & 0xff) << 8 | (source[i + 2] & 0xff) << 16
                        | source[i + 3] << 24;
                sample = floatToPcm16(Float.intBitsToFloat(raw));
            } else if (bits == 8) {
                sample = ((source[i] & 0xff) - 128) << 8;
            } else {
                // 16, 24 or 32 bits little-endian: the top two bytes are the 16-bit sample
                int top = i + sampleBytes - 2;
                sample = (source[top] & 0xff) | source[top + 1] << 8;
            }
            out[o++] = (byte) sample;
            out[o++] = (byte) (sample >> 8);
        }
        outPosition = 0;
        outLimit = o;
    }

    private static int floatToPcm16(float value) {
        if (Float.isNaN(value)) {
            return 0;
        }
        long scaled = Math.round(value * 32768.0);
        return (int) Math.max(Short.MIN_VALUE, Math.min(Short.MAX_VALUE, scaled));
    }
}
