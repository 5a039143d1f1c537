package dev.earshot.audio;

import java.io.IOException;
import java.io.InputStream;

import dev.earshot.spi.audio.AudioFormat;
import dev.earshot.audio.Wav.Header;

import static dev.earshot.audio.Wav.*;

/** Walks the chunks of one stream, counting the bytes it consumed. */
final class WavHeaderReader {

    private final InputStream in;
    private long position;

    WavHeaderReader(InputStream in) {
        this.in = in;
    }

    Header read() throws IOException {
        byte[] riff = new byte[12];
        int got = in.readNBytes(riff, 0, 12);
        position = got;
        if (got == 0) {
            throw new WavFormatException("not a WAV file: it is empty");
        }
        if (got < 4 || !"RIFF".equals(fourCc(riff, 0, 4))) {
            String found = fourCc(riff, 0, Math.min(got, 4));
            String hint = "RF64".equals(found) ? " (RF64, 64-bit WAV, is not supported; convert to a plain WAV)" : "";
            throw new WavFormatException("not a WAV file: expected 'RIFF' at byte 0, found '" + found + "'" + hint);
        }
        if (got < 12) {
            throw new WavFormatException("truncated WAV: ended at byte " + got + " inside the RIFF header");
        }
        if (!"WAVE".equals(fourCc(riff, 8, 4))) {
            throw new WavFormatException("not a WAV file: expected 'WAVE' at byte 8, found '"
                    + fourCc(riff, 8, 4) + "'");
        }
        Header format = null;
        byte[] chunk = new byte[8];
        while (true) {
            long chunkStart = position;
            got = in.readNBytes(chunk, 0, 8);
            position += got;
            if (got == 0) {
                throw new WavFormatException(format == null ? "WAV file has no 'fmt ' chunk" : "WAV file has no 'data' chunk");
            }
            if (got < 8) {
                throw new WavFormatException("truncated WAV: ended at byte " + position + " inside a chunk header");
            }
            String id = fourCc(chunk, 0, 4);
            long size = u32(chunk, 4);
            if (id.equals("data")) {
                if (format == null) {
                    throw new WavFormatException("WAV 'data' chunk at byte " + chunkStart
                            + " comes before the 'fmt ' chunk; this reader needs 'fmt ' first");
                }
                long length = size == SIZE_UNKNOWN_32 || size == 0 ? UNKNOWN_LENGTH : size - size % format.blockAlign();
                return new Header(format.format(), format.bitsPerSample(), format.encoding(), position, length);
            }
            if (id.equals("fmt ")) {
                format = readFormat(size, chunkStart);
            } else {
                skip(size, id, chunkStart);
            }
            if ((size & 1) != 0) {
                skip(1, id, chunkStart); // chunks are padded to an even size
            }
        }
    }

    /** Reads a {@code fmt } chunk of {@code size} bytes; the data offset and length are filled in later. */
    private Header readFormat(long size, long chunkStart) throws IOException {
        if (size < 16) {
            throw new WavFormatException("WAV 'fmt ' chunk is " + size + " bytes; expected at least 16");
        }
        byte[] fmt = new byte[FMT_READ_MAX];
        int used = (int) Math.min(size, FMT_READ_MAX);
        int got = in.readNBytes(fmt, 0, used);
        position += got;
        if (got < used) {
            throw runsPastTheEnd("fmt ", chunkStart);
        }
        skip(size - used, "fmt ", chunkStart);

        int encoding = u16(fmt, 0);
        int channels = u16(fmt, 2);
        long sampleRate = u32(fmt, 4);
        int bits = u16(fmt, 14);
        if (encoding == EXTENSIBLE) {
            if (size < 40) {
                throw new WavFormatException("WAV extensible 'fmt ' chunk is " + size + " bytes; expected at least 40");
            }
            encoding = u16(fmt, 24);
            for (int i = 0; i < SUBFORMAT_GUID_TAIL.length; i++) {
                if (fmt[26 + i] != SUBFORMAT_GUID_TAIL[i]) {
                    throw new WavFormatException("WAV extensible sub-format " + guid(fmt, 24)
                            + " is not supported; convert to PCM");
                }
            }
        }
        if (encoding != PCM && encoding != IEEE_FLOAT) {
            throw new WavFormatException("WAV encoding " + encoding + encodingName(encoding)
                    + " is not supported; convert to PCM");
        }
        if (channels == 0) {
            throw new WavFormatException("WAV has 0 channels");
        }
        if (channels > AudioFormat.MAX_CHANNELS) {
            throw new WavFormatException("WAV has " + channels + " channels; at most " + AudioFormat.MAX_CHANNELS
                    + " are supported");
        }
        if (sampleRate < AudioFormat.MIN_SAMPLE_RATE || sampleRate > AudioFormat.MAX_SAMPLE_RATE) {
            throw new WavFormatException("WAV sample rate " + sampleRate + " Hz is outside "
                    + AudioFormat.MIN_SAMPLE_RATE + ".." + AudioFormat.MAX_SAMPLE_RATE + " Hz");
        }
        if (encoding == IEEE_FLOAT && bits != 32) {
            throw new WavFormatException("WAV has " + bits + "-bit float samples; " + SUPPORTED);
        }
        if (encoding == PCM && bits != 8 && bits != 16 && bits != 24 && bits != 32) {
            throw new WavFormatException("WAV has " + bits + " bits per sample; " + SUPPORTED);
        }
        return new Header(new AudioFormat((int) sampleRate, channels), bits, encoding, 0, UNKNOWN_LENGTH);
    }

    private void skip(long count, String chunkId, long chunkStart) throws IOException {
        long left = count;
        while (left > 0) {
            long skipped = in.skip(left);
            if (skipped <= 0) {
                if (in.read() < 0) {
                    throw runsPastTheEnd(chunkId, chunkStart);
                }
                skipped = 1;
            }
            left -= skipped;
            position += skipped;
        }
    }

    private WavFormatException runsPastTheEnd(String chunkId, long chunkStart) {
        return new WavFormatException("truncated WAV: '" + chunkId + "' chunk at byte " + chunkStart
                + " runs past the end of the file at byte " + position);
    }

    /** A GUID in its usual text form: the first three fields are little-endian numbers, the rest bytes. */
    private static String guid(byte[] in, int at) {
        StringBuilder text = new StringBuilder(36).append(String.format("%08x-%04x-%04x-", u32(in, at),
                u16(in, at + 4), u16(in, at + 6)));
        for (int i = 8; i < 16; i++) {
            text.append(String.format("%02x", in[at + i] & 0xff));
            if (i == 9) {
                text.append('-');
            }
        }
        return text.toString();
    }
}

