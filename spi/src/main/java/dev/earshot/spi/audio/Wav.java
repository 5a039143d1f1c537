package dev.earshot.spi.audio;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;

import static java.util.Objects.requireNonNull;

/**
 * Reads and writes the WAV (RIFF/WAVE) container, with the JDK only.
 *
 * <p>Reading supports integer PCM of 8 (unsigned), 16, 24 and 32 bits and 32-bit float, plain or as
 * {@code WAVE_FORMAT_EXTENSIBLE}; {@link #pcm16} converts any of them to the s16le samples Earshot uses.
 * Chunks other than {@code fmt } and {@code data} ({@code LIST}, {@code fact}, ...) are skipped. The RIFF size and
 * the {@code fmt } block align are not trusted: writers often get them wrong, and neither is needed.
 *
 * <p>Damaged input is reported as a {@link WavFormatException}, never as another exception: every length read from
 * the file is checked against what is really there, and nothing is allocated from a declared size.
 */
public final class Wav {

    /** {@code WAVE_FORMAT_PCM}: integer samples. */
    public static final int PCM = 1;
    /** {@code WAVE_FORMAT_IEEE_FLOAT}: 32-bit float samples. */
    public static final int IEEE_FLOAT = 3;
    /** {@code WAVE_FORMAT_EXTENSIBLE}: the real encoding is in the sub-format GUID. */
    public static final int EXTENSIBLE = 0xFFFE;
    /** Size of the canonical header written by {@link #header}. */
    public static final int HEADER_SIZE = 44;
    /** {@link Header#dataLength()} of a stream whose length is not known: the data runs to the end of the stream. */
    public static final long UNKNOWN_LENGTH = -1;

    private static final long SIZE_UNKNOWN_32 = 0xFFFF_FFFFL;
    /** Bytes of a {@code fmt } chunk this reader uses; the rest of a longer chunk is skipped. */
    private static final int FMT_READ_MAX = 40;
    /** The 14 bytes that follow the format code in a KSDATAFORMAT_SUBTYPE_* GUID. */
    private static final byte[] SUBFORMAT_GUID_TAIL = {
            0x00, 0x00, 0x00, 0x00, 0x10, 0x00, (byte) 0x80, 0x00, 0x00, (byte) 0xAA, 0x00, 0x38, (byte) 0x9B, 0x71};
    private static final String SUPPORTED = "supported: 8, 16, 24, 32-bit PCM and 32-bit float";

    private Wav() {
    }

    /**
     * What a WAV header says about its audio.
     *
     * @param format        the format after conversion with {@link #pcm16}: always s16le, at the file's rate and
     *                      channel count
     * @param bitsPerSample bits of one sample in the file: 8, 16, 24 or 32
     * @param encoding      {@link #PCM} or {@link #IEEE_FLOAT}; an extensible file is reported with its sub-format
     * @param dataOffset    byte offset of the first audio byte from the start of the file
     * @param dataLength    bytes of audio in the file (whole sample frames), or {@link #UNKNOWN_LENGTH} when the
     *                      data runs to the end of the stream
     */
    public record Header(AudioFormat format, int bitsPerSample, int encoding, long dataOffset, long dataLength) {

        public Header {
            requireNonNull(format, "format is null");
            boolean supported = encoding == PCM
                    ? bitsPerSample == 8 || bitsPerSample == 16 || bitsPerSample == 24 || bitsPerSample == 32
                    : encoding == IEEE_FLOAT && bitsPerSample == 32;
            if (!supported) {
                throw new IllegalArgumentException("encoding " + encoding + " with " + bitsPerSample
                        + " bits per sample is not supported; " + SUPPORTED);
            }
            if (dataOffset < 0) {
                throw new IllegalArgumentException("dataOffset is negative: " + dataOffset);
            }
            if (dataLength < UNKNOWN_LENGTH) {
                throw new IllegalArgumentException("dataLength is negative: " + dataLength);
            }
        }

        /** Bytes of one sample frame (one sample of every channel) in the file. */
        public int blockAlign() {
            return format.channels() * bitsPerSample / 8;
        }

        public boolean lengthKnown() {
            return dataLength != UNKNOWN_LENGTH;
        }

        /** Bytes of s16le audio {@link #pcm16} yields, or {@link #UNKNOWN_LENGTH}. */
        public long pcm16Length() {
            return lengthKnown() ? dataLength / blockAlign() * format.bytesPerFrame() : UNKNOWN_LENGTH;
        }
    }

    /**
     * Reads a WAV header and leaves {@code in} positioned at the first byte of audio. Reads exactly up to there (no
     * read-ahead), so the caller can go on reading the audio from the same stream, typically through
     * {@link #pcm16}.
     *
     * <p>A data length of {@code 0xFFFFFFFF} or {@code 0}, which streaming writers put in a header written before
     * the length is known, is reported as {@link #UNKNOWN_LENGTH}. A data length that is not a whole number of
     * sample frames is rounded down: the incomplete last frame is ignored.
     *
     * <p>The stream may end before the declared data length; this method cannot tell (see {@link #parse}), and
     * {@link #pcm16} reports it when it gets there.
     */
    public static Header readHeader(InputStream in) throws IOException {
        requireNonNull(in, "in is null");
        return new HeaderReader(in).read();
    }

    /**
     * Reads the header of a whole WAV file held in memory. Unlike {@link #readHeader} it also checks that the
     * declared audio is all there (bytes after it, such as trailing chunks, are allowed), and resolves an unknown
     * data length to the rest of the array (whole sample frames).
     */
    public static Header parse(byte[] wav) throws WavFormatException {
        requireNonNull(wav, "wav is null");
        Header header;
        try {
            header = readHeader(new ByteArrayInputStream(wav));
        } catch (WavFormatException e) {
            throw e;
        } catch (IOException e) {
            throw new IllegalStateException("reading a byte array failed", e); // ByteArrayInputStream does not fail
        }
        long present = wav.length - header.dataOffset();
        if (!header.lengthKnown()) {
            return new Header(header.format(), header.bitsPerSample(), header.encoding(), header.dataOffset(),
                    present - present % header.blockAlign());
        }
        if (header.dataLength() > present) {
            throw truncated(header.dataLength(), present);
        }
        return header;
    }

    /**
     * The audio of {@code data} as s16le, in {@code header.format()}. {@code data} must be positioned at the first
     * audio byte (as {@link #readHeader} leaves it). The result stops after {@code header.dataLength()} bytes of
     * input, so chunks after the audio are never read as audio; with an unknown length it stops at the end of
     * {@code data}, ignoring an incomplete last sample frame. Closing the result closes {@code data}.
     *
     * <p>Conversion: 8-bit unsigned is re-centred and shifted up; 24 and 32-bit integers keep their top 16 bits
     * (truncation, so a 16-bit signal padded to more bits comes back unchanged); float is scaled by 32768, rounded
     * and clamped (NaN becomes 0). 16-bit data passes through unchanged.
     *
     * @throws WavFormatException from the stream's read methods when {@code data} ends before the declared length
     */
    public static InputStream pcm16(InputStream data, Header header) {
        return new Pcm16Stream(requireNonNull(data, "data is null"), requireNonNull(header, "header is null"));
    }

    /**
     * A canonical 44-byte header for s16le audio: {@code RIFF}, {@code fmt } (PCM, 16 bits) and the {@code data}
     * chunk header, after which the audio follows.
     *
     * @param dataLength bytes of audio, a whole number of sample frames; {@link #UNKNOWN_LENGTH} writes
     *                   {@code 0xFFFFFFFF} as streaming writers do
     */
    public static byte[] header(AudioFormat format, long dataLength) {
        requireNonNull(format, "format is null");
        long maxLength = SIZE_UNKNOWN_32 - 36 - 1;
        if (dataLength != UNKNOWN_LENGTH && (dataLength < 0 || dataLength > maxLength)) {
            throw new IllegalArgumentException("dataLength " + dataLength + " does not fit a WAV file (0 to "
                    + maxLength + " bytes, or UNKNOWN_LENGTH)");
        }
        if (dataLength > 0 && dataLength % format.bytesPerFrame() != 0) {
            throw new IllegalArgumentException("dataLength " + dataLength + " is not a whole number of "
                    + format.bytesPerFrame() + "-byte sample frames of " + format);
        }
        byte[] out = new byte[HEADER_SIZE];
        putAscii(out, 0, "RIFF");
        putInt(out, 4, dataLength == UNKNOWN_LENGTH ? SIZE_UNKNOWN_32 : 36 + dataLength);
        putAscii(out, 8, "WAVE");
        putAscii(out, 12, "fmt ");
        putInt(out, 16, 16);
        putShort(out, 20, PCM);
        putShort(out, 22, format.channels());
        putInt(out, 24, format.sampleRate());
        putInt(out, 28, format.bytesPerSecond());
        putShort(out, 32, format.bytesPerFrame());
        putShort(out, 34, 16);
        putAscii(out, 36, "data");
        putInt(out, 40, dataLength == UNKNOWN_LENGTH ? SIZE_UNKNOWN_32 : dataLength);
        return out;
    }

    static WavFormatException truncated(long declared, long present) {
        return new WavFormatException("truncated WAV: data chunk declares " + declared + " bytes, only "
                + present + " present");
    }

    private static void putAscii(byte[] out, int at, String text) {
        for (int i = 0; i < 4; i++) {
            out[at + i] = (byte) text.charAt(i);
        }
    }

    private static void putInt(byte[] out, int at, long value) {
        for (int i = 0; i < 4; i++) {
            out[at + i] = (byte) (value >>> (8 * i));
        }
    }

    private static void putShort(byte[] out, int at, int value) {
        out[at] = (byte) value;
        out[at + 1] = (byte) (value >>> 8);
    }

    private static int u16(byte[] in, int at) {
        return (in[at] & 0xff) | (in[at + 1] & 0xff) << 8;
    }

    private static long u32(byte[] in, int at) {
        return (u16(in, at) | (long) u16(in, at + 2) << 16);
    }

    /** Four bytes as text for a message: printable ASCII as is, anything else as a Java escape. */
    private static String fourCc(byte[] in, int at, int count) {
        StringBuilder text = new StringBuilder(4);
        for (int i = at; i < at + count; i++) {
            int c = in[i] & 0xff;
            if (c >= 0x20 && c < 0x7f) {
                text.append((char) c);
            } else {
                text.append(String.format("\\u%04x", c));
            }
        }
        return text.toString();
    }

    private static String encodingName(int code) {
        return switch (code) {
            case 0x0002 -> " (Microsoft ADPCM)";
            case 0x0006 -> " (A-law)";
            case 0x0007 -> " (mu-law)";
            case 0x0011 -> " (IMA ADPCM)";
            case 0x0031 -> " (GSM 6.10)";
            case 0x0050 -> " (MPEG)";
            case 0x0055 -> " (MP3)";
            case 0x00FF, 0x1610 -> " (AAC)";
            default -> "";
        };
    }

    /** Walks the chunks of one stream, counting the bytes it consumed. */
    private static final class HeaderReader {

        private final InputStream in;
        private long position;

        HeaderReader(InputStream in) {
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

    /** Converts a WAV data stream to s16le, whole sample frames at a time. Not thread-safe, like most streams. */
    private static final class Pcm16Stream extends InputStream {

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

        Pcm16Stream(InputStream in, Header header) {
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
}
