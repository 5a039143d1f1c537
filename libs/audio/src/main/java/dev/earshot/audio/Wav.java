package dev.earshot.audio;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;

import dev.earshot.spi.audio.AudioFormat;

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

    static final long SIZE_UNKNOWN_32 = 0xFFFF_FFFFL;
    /** Bytes of a {@code fmt } chunk this reader uses; the rest of a longer chunk is skipped. */
    static final int FMT_READ_MAX = 40;
    /** The 14 bytes that follow the format code in a KSDATAFORMAT_SUBTYPE_* GUID. */
    static final byte[] SUBFORMAT_GUID_TAIL = {
            0x00, 0x00, 0x00, 0x00, 0x10, 0x00, (byte) 0x80, 0x00, 0x00, (byte) 0xAA, 0x00, 0x38, (byte) 0x9B, 0x71};
    static final String SUPPORTED = "supported: 8, 16, 24, 32-bit PCM and 32-bit float";

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
        return new WavHeaderReader(in).read();
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
        return new WavPcm16Stream(requireNonNull(data, "data is null"), requireNonNull(header, "header is null"));
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

    static int u16(byte[] in, int at) {
        return (in[at] & 0xff) | (in[at + 1] & 0xff) << 8;
    }

    static long u32(byte[] in, int at) {
        return (u16(in, at) | (long) u16(in, at + 2) << 16);
    }

    /** Four bytes as text for a message: printable ASCII as is, anything else as a Java escape. */
    static String fourCc(byte[] in, int at, int count) {
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

    static String encodingName(int code) {
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
}
