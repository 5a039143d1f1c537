package dev.earshot.audio;

import dev.earshot.spi.audio.AudioFormat;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

class WavTest {

    private static final Path LIBRIVOX = Path.of("/usr/share/pocketsphinx/test/data/librivox");

    // ---------------------------------------------------------------- real files

    @Test
    void readsTheLibrivoxFiles() throws IOException {
        List<Path> files;
        try (Stream<Path> list = Files.list(LIBRIVOX)) {
            files = list.filter(p -> p.toString().endsWith(".wav")).sorted().toList();
        }
        assertEquals(5, files.size(), "test files in " + LIBRIVOX);
        for (Path file : files) {
            byte[] bytes = Files.readAllBytes(file);
            Wav.Header header;
            try (InputStream in = Files.newInputStream(file)) {
                header = Wav.readHeader(in);
                assertEquals(AudioFormat.SPEECH_16K, header.format(), file.toString());
                assertEquals(16, header.bitsPerSample());
                assertEquals(Wav.PCM, header.encoding());
                assertEquals(44, header.dataOffset());
                assertEquals(bytes.length - 44, header.dataLength(), "data length of " + file);
                assertEquals(header.dataLength(), header.pcm16Length());
                byte[] pcm = Wav.pcm16(in, header).readAllBytes();
                assertArrayEquals(Arrays.copyOfRange(bytes, 44, bytes.length), pcm);
            }
            assertEquals(header, Wav.parse(bytes));
        }
    }

    @Test
    void leavesTheStreamAtTheFirstAudioByte() throws IOException {
        byte[] data = {1, 2, 3, 4, 5, 6};
        ByteArrayInputStream in = new ByteArrayInputStream(concat(Wav.header(AudioFormat.SPEECH_16K, 6), data));
        Wav.readHeader(in);
        assertArrayEquals(data, in.readAllBytes());
    }

    // ---------------------------------------------------------------- writing

    @Test
    void headerRoundTrips() throws IOException {
        AudioFormat stereo = new AudioFormat(44_100, 2);
        byte[] data = ramp(4000);
        byte[] wav = concat(Wav.header(stereo, data.length), data);
        Wav.Header header = Wav.parse(wav);
        assertEquals(new Wav.Header(stereo, 16, Wav.PCM, 44, data.length), header);
        assertArrayEquals(data, pcm16(wav, header));
        assertEquals(Wav.HEADER_SIZE, Wav.header(stereo, 0).length);
        assertEquals(36 + data.length, ByteBuffer.wrap(wav).order(ByteOrder.LITTLE_ENDIAN).getInt(4));
        assertEquals(stereo.bytesPerSecond(), ByteBuffer.wrap(wav).order(ByteOrder.LITTLE_ENDIAN).getInt(28));
    }

    @Test
    void streamingHeaderMeansUntilTheEnd() throws IOException {
        byte[] data = ramp(1001); // stereo 16-bit: 250 whole frames and one stray byte
        AudioFormat stereo = new AudioFormat(8000, 2);
        byte[] wav = concat(Wav.header(stereo, Wav.UNKNOWN_LENGTH), data);
        ByteArrayInputStream in = new ByteArrayInputStream(wav);
        Wav.Header header = Wav.readHeader(in);
        assertEquals(Wav.UNKNOWN_LENGTH, header.dataLength());
        assertFalse(header.lengthKnown());
        assertArrayEquals(Arrays.copyOf(data, 1000), Wav.pcm16(in, header).readAllBytes());
        assertEquals(1000, Wav.parse(wav).dataLength());

        byte[] zeroLength = concat(Wav.header(stereo, 0), data); // some writers leave 0 until they finish
        assertEquals(Wav.UNKNOWN_LENGTH, Wav.readHeader(new ByteArrayInputStream(zeroLength)).dataLength());
        assertEquals(1000, Wav.parse(zeroLength).dataLength());
    }

    @Test
    void headerRejectsLengthsItCannotWrite() {
        assertThrows(IllegalArgumentException.class, () -> Wav.header(new AudioFormat(8000, 2), 1001));
        assertThrows(IllegalArgumentException.class, () -> Wav.header(AudioFormat.SPEECH_16K, -2));
        assertThrows(IllegalArgumentException.class, () -> Wav.header(AudioFormat.SPEECH_16K, 1L << 32));
    }

    // ---------------------------------------------------------------- chunks

    @Test
    void skipsOtherChunksAndHonoursPadding() throws IOException {
        byte[] data = ramp(40);
        byte[] wav = new WavWriter()
                .chunk("LIST", new byte[5])          // odd: one pad byte follows
                .chunk("fmt ", fmt18(Wav.PCM, 1, 16000, 16))
                .chunk("fact", new byte[4])
                .chunk("data", data)
                .chunk("LIST", new byte[7])          // after the audio: must not be read as audio
                .bytes();
        Wav.Header header = Wav.parse(wav);
        assertEquals(12 + (8 + 6) + (8 + 18) + (8 + 4) + 8, header.dataOffset());
        assertEquals(40, header.dataLength());
        assertArrayEquals(data, pcm16(wav, header));
        // same through a stream that refuses to skip, so skipping falls back to reading
        InputStream noSkip = new FilterInputStream(new ByteArrayInputStream(wav)) {
            @Override
            public long skip(long n) {
                return 0;
            }
        };
        Wav.Header streamed = Wav.readHeader(noSkip);
        assertEquals(header, streamed);
        assertArrayEquals(data, Wav.pcm16(noSkip, streamed).readAllBytes());
    }

    @Test
    void dataLengthIsRoundedDownToWholeFrames() throws IOException {
        byte[] data = ramp(1001);
        byte[] wav = new WavWriter().chunk("fmt ", fmt(Wav.PCM, 2, 8000, 16)).chunk("data", data).bytes();
        Wav.Header header = Wav.parse(wav);
        assertEquals(1000, header.dataLength());
        assertArrayEquals(Arrays.copyOf(data, 1000), pcm16(wav, header));
    }

    // ---------------------------------------------------------------- conversion

    @Test
    void converts8BitUnsigned() throws IOException {
        byte[] data = {0, (byte) 128, (byte) 255, 1, 127, (byte) 129};
        assertSamples(Wav.PCM, 8, data, -32768, 0, 32512, -32512, -256, 256);
    }

    @Test
    void converts24Bit() throws IOException {
        byte[] data = samples24(0x7FFFFF, -0x800000, 0x000100, 0x0000FF, 0x123456, -1, 0);
        assertSamples(Wav.PCM, 24, data, 32767, -32768, 1, 0, 0x1234, -1, 0);
    }

    @Test
    void converts32BitInteger() throws IOException {
        byte[] data = ints(0x7FFFFFFF, 0x80000000, 0x12345678, 0xFFFF0000, 0x0000FFFF, 0);
        assertSamples(Wav.PCM, 32, data, 32767, -32768, 0x1234, -1, 0, 0);
    }

    @Test
    void converts32BitFloat() throws IOException {
        float[] values = {0f, 0.5f, -0.5f, 1f, -1f, 2f, -3f, Float.NaN, 0.25f, 1f / 32768, Float.POSITIVE_INFINITY};
        int[] bits = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            bits[i] = Float.floatToRawIntBits(values[i]);
        }
        assertSamples(Wav.IEEE_FLOAT, 32, ints(bits), 0, 16384, -16384, 32767, -32768, 32767, -32768, 0, 8192, 1, 32767);
    }

    @Test
    void passes16BitThrough() throws IOException {
        byte[] data = shorts(0, 1, -1, 32767, -32768, 0x1234);
        assertSamples(Wav.PCM, 16, data, 0, 1, -1, 32767, -32768, 0x1234);
    }

    @Test
    void readsExtensiblePcmAndFloat() throws IOException {
        byte[] pcm24 = samples24(0x123456, -0x800000);
        byte[] wav = new WavWriter().chunk("fmt ", fmtExtensible(Wav.PCM, 2, 48000, 24, guidTail()))
                .chunk("data", pcm24).bytes();
        Wav.Header header = Wav.parse(wav);
        assertEquals(new Wav.Header(new AudioFormat(48000, 2), 24, Wav.PCM, 12 + 8 + 40 + 8, 6), header);
        assertArrayEquals(shorts(0x1234, -32768), pcm16(wav, header));
        assertEquals(4, header.pcm16Length());

        byte[] floats = ints(Float.floatToRawIntBits(-0.5f));
        wav = new WavWriter().chunk("fmt ", fmtExtensible(Wav.IEEE_FLOAT, 1, 16000, 32, guidTail()))
                .chunk("data", floats).bytes();
        header = Wav.parse(wav);
        assertEquals(Wav.IEEE_FLOAT, header.encoding());
        assertArrayEquals(shorts(-16384), pcm16(wav, header));
    }

    @Test
    void convertsLongStreamsAcrossBufferBoundaries() throws IOException {
        // 24-bit stereo: 6-byte frames never line up with the stream's buffer, and reads come in odd sizes
        int frames = 10_007;
        byte[] data = new byte[frames * 6];
        byte[] expected = new byte[frames * 4];
        for (int i = 0; i < frames * 2; i++) {
            int sample = (i * 7919) % 65536 - 32768;
            data[3 * i] = (byte) 0x5A;
            data[3 * i + 1] = (byte) sample;
            data[3 * i + 2] = (byte) (sample >> 8);
            expected[2 * i] = (byte) sample;
            expected[2 * i + 1] = (byte) (sample >> 8);
        }
        byte[] wav = new WavWriter().chunk("fmt ", fmt(Wav.PCM, 2, 22050, 24)).chunk("data", data).bytes();
        Wav.Header header = Wav.parse(wav);
        InputStream in = Wav.pcm16(new ByteArrayInputStream(wav, (int) header.dataOffset(), data.length), header);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[333];
        int n;
        while ((n = in.read(buffer, 0, 1 + out.size() % 333)) >= 0) {
            out.write(buffer, 0, n);
        }
        assertArrayEquals(expected, out.toByteArray());
        assertEquals(-1, in.read());
    }

    // ---------------------------------------------------------------- errors

    @Test
    void rejectsWhatIsNotAWavFile() {
        byte[] id3 = {'I', 'D', '3', 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
        assertError("not a WAV file: expected 'RIFF' at byte 0, found 'ID3\\u0003'", id3);
        assertError("not a WAV file: it is empty", new byte[0]);
        assertError("not a WAV file: expected 'RIFF' at byte 0, found 'RI'", new byte[]{'R', 'I'});
        assertError("not a WAV file: expected 'WAVE' at byte 8, found 'AVI '",
                new byte[]{'R', 'I', 'F', 'F', 0, 0, 0, 0, 'A', 'V', 'I', ' '});
        assertError("truncated WAV: ended at byte 6 inside the RIFF header", new byte[]{'R', 'I', 'F', 'F', 0, 0});
        assertTrue(message(new byte[]{'R', 'F', '6', '4'}).contains("RF64"));
    }

    @Test
    void rejectsMissingChunks() {
        assertError("WAV file has no 'fmt ' chunk", new WavWriter().chunk("LIST", new byte[4]).bytes());
        assertError("WAV file has no 'data' chunk", new WavWriter().chunk("fmt ", fmt(Wav.PCM, 1, 16000, 16)).bytes());
        assertError("WAV 'data' chunk at byte 12 comes before the 'fmt ' chunk; this reader needs 'fmt ' first",
                new WavWriter().chunk("data", new byte[2]).chunk("fmt ", fmt(Wav.PCM, 1, 16000, 16)).bytes());
        assertError("WAV 'fmt ' chunk is 14 bytes; expected at least 16",
                new WavWriter().chunk("fmt ", new byte[14]).chunk("data", new byte[2]).bytes());
    }

    @Test
    void rejectsUnsupportedFormats() {
        assertError("WAV encoding 6 (A-law) is not supported; convert to PCM", wav(6, 1, 8000, 8, new byte[8]));
        assertError("WAV encoding 85 (MP3) is not supported; convert to PCM", wav(0x55, 1, 8000, 0, new byte[8]));
        assertError("WAV has 12 bits per sample; supported: 8, 16, 24, 32-bit PCM and 32-bit float",
                wav(Wav.PCM, 1, 16000, 12, new byte[8]));
        assertError("WAV has 64-bit float samples; supported: 8, 16, 24, 32-bit PCM and 32-bit float",
                wav(Wav.IEEE_FLOAT, 1, 16000, 64, new byte[8]));
        assertError("WAV sample rate 2000 Hz is outside 4000..192000 Hz", wav(Wav.PCM, 1, 2000, 16, new byte[8]));
        assertError("WAV sample rate 4294967295 Hz is outside 4000..192000 Hz", wav(Wav.PCM, 1, -1, 16, new byte[8]));
        assertError("WAV has 0 channels", wav(Wav.PCM, 0, 16000, 16, new byte[8]));
        assertError("WAV has 9 channels; at most 8 are supported", wav(Wav.PCM, 9, 16000, 16, new byte[18]));

        byte[] otherGuid = guidTail();
        otherGuid[13] = 0x72;
        assertError("WAV extensible sub-format 00000001-0000-0010-8000-00aa00389b72 is not supported; convert to PCM",
                new WavWriter().chunk("fmt ", fmtExtensible(Wav.PCM, 1, 16000, 16, otherGuid))
                        .chunk("data", new byte[2]).bytes());
        byte[] shortExtensible = Arrays.copyOf(fmt(Wav.EXTENSIBLE, 1, 16000, 16), 18);
        assertError("WAV extensible 'fmt ' chunk is 18 bytes; expected at least 40",
                new WavWriter().chunk("fmt ", shortExtensible).chunk("data", new byte[2]).bytes());
    }

    @Test
    void rejectsTruncatedAudio() throws IOException {
        byte[] wav = concat(Wav.header(AudioFormat.SPEECH_16K, 64000), new byte[1200]);
        assertError("truncated WAV: data chunk declares 64000 bytes, only 1200 present", wav);
        // a stream cannot tell up front: the conversion stream reports it where the audio ends
        ByteArrayInputStream in = new ByteArrayInputStream(wav);
        Wav.Header header = Wav.readHeader(in);
        InputStream pcm = Wav.pcm16(in, header);
        WavFormatException e = assertThrows(WavFormatException.class, pcm::readAllBytes);
        assertEquals("truncated WAV: data chunk declares 64000 bytes, only 1200 present", e.getMessage());
    }

    @Test
    void rejectsChunksThatRunPastTheEnd() {
        byte[] huge = new WavWriter().chunk("LIST", new byte[4]).bytes();
        ByteBuffer.wrap(huge).order(ByteOrder.LITTLE_ENDIAN).putInt(16, 0x7FFF_FFF0);
        assertError("truncated WAV: 'LIST' chunk at byte 12 runs past the end of the file at byte 24", huge);

        byte[] hugeFmt = new WavWriter().chunk("fmt ", fmt(Wav.PCM, 1, 16000, 16)).bytes();
        ByteBuffer.wrap(hugeFmt).order(ByteOrder.LITTLE_ENDIAN).putInt(16, -1);
        assertError("truncated WAV: 'fmt ' chunk at byte 12 runs past the end of the file at byte 36", hugeFmt);

        byte[] hugeData = concat(Wav.header(AudioFormat.SPEECH_16K, 0), new byte[10]);
        ByteBuffer.wrap(hugeData).order(ByteOrder.LITTLE_ENDIAN).putInt(40, 0xFFFF_FFFE);
        assertError("truncated WAV: data chunk declares 4294967294 bytes, only 10 present", hugeData);
    }

    @Test
    void everyTruncationIsAFormatError() throws IOException {
        byte[] real = Files.readAllBytes(LIBRIVOX.resolve("sense_and_sensibility_01_austen_64kb-0880.wav"));
        for (int length = 0; length < 44 + 200; length++) {
            assertFormatError(Arrays.copyOf(real, length), "librivox file cut at byte " + length);
        }
        for (int length = 44 + 200; length < real.length; length += 997) {
            assertFormatError(Arrays.copyOf(real, length), "librivox file cut at byte " + length);
        }
        byte[] chunky = new WavWriter()
                .chunk("LIST", new byte[5])
                .chunk("fmt ", fmtExtensible(Wav.IEEE_FLOAT, 2, 16000, 32, guidTail()))
                .chunk("fact", new byte[4])
                .chunk("data", new byte[16])
                .bytes();
        Wav.parse(chunky);
        for (int length = 0; length < chunky.length; length++) {
            assertFormatError(Arrays.copyOf(chunky, length), "chunky file cut at byte " + length);
        }
    }

    @Test
    void garbageIsAFormatError() throws IOException {
        Random random = new Random(20240611);
        for (int i = 0; i < 2000; i++) {
            byte[] garbage = new byte[random.nextInt(300)];
            random.nextBytes(garbage);
            if (garbage.length >= 4 && garbage[0] == 'R') {
                garbage[0] = 'X';
            }
            assertFormatError(garbage, "garbage #" + i);
        }
        // plausible headers with random damage: parsing either works or fails with a WavFormatException
        byte[] valid = new WavWriter()
                .chunk("LIST", new byte[5])
                .chunk("fmt ", fmtExtensible(Wav.PCM, 2, 16000, 24, guidTail()))
                .chunk("data", ramp(60))
                .chunk("LIST", new byte[3])
                .bytes();
        int parsed = 0;
        for (int i = 0; i < 20_000; i++) {
            byte[] damaged = valid.clone();
            for (int flips = 1 + random.nextInt(3); flips > 0; flips--) {
                int at = 4 + random.nextInt(damaged.length - 4);
                damaged[at] = random.nextInt(4) == 0 ? (byte) 0xFF : (byte) random.nextInt(256);
            }
            try {
                Wav.Header header = Wav.parse(damaged);
                pcm16(damaged, header);
                Wav.Header streamed = Wav.readHeader(new ByteArrayInputStream(damaged));
                assertEquals(header.format(), streamed.format());
                parsed++;
            } catch (WavFormatException expected) {
                // fine
            } catch (RuntimeException | Error e) {
                throw new AssertionError("damaged header #" + i + " " + Arrays.toString(damaged), e);
            }
        }
        assertTrue(parsed > 0 && parsed < 20_000, "some damage is harmless, some is not: " + parsed);
    }

    // ---------------------------------------------------------------- helpers

    private static void assertSamples(int encoding, int bits, byte[] data, int... expected) throws IOException {
        byte[] wav = wav(encoding, 1, 16000, bits, data);
        Wav.Header header = Wav.parse(wav);
        assertEquals(AudioFormat.SPEECH_16K, header.format());
        assertEquals(bits, header.bitsPerSample());
        assertEquals(expected.length * 2L, header.pcm16Length());
        byte[] pcm = pcm16(wav, header);
        short[] actual = new short[pcm.length / 2];
        ByteBuffer.wrap(pcm).order(ByteOrder.LITTLE_ENDIAN).asShortBuffer().get(actual);
        short[] wanted = new short[expected.length];
        for (int i = 0; i < expected.length; i++) {
            wanted[i] = (short) expected[i];
        }
        assertArrayEquals(wanted, actual);
    }

    private static byte[] pcm16(byte[] wav, Wav.Header header) throws IOException {
        InputStream in = new ByteArrayInputStream(wav);
        in.skipNBytes(header.dataOffset());
        return Wav.pcm16(in, header).readAllBytes();
    }

    private static void assertError(String expected, byte[] wav) {
        assertEquals(expected, message(wav));
    }

    private static String message(byte[] wav) {
        WavFormatException e = assertThrows(WavFormatException.class, () -> Wav.parse(wav));
        WavFormatException streamed = null;
        try {
            Wav.Header header = Wav.readHeader(new ByteArrayInputStream(wav));
            Wav.pcm16(new ByteArrayInputStream(wav, (int) header.dataOffset(), wav.length), header).readAllBytes();
        } catch (WavFormatException thrown) {
            streamed = thrown;
        } catch (IOException other) {
            fail(other);
        }
        assertEquals(e.getMessage(), streamed == null ? null : streamed.getMessage(), "stream and array agree");
        return e.getMessage();
    }

    private static void assertFormatError(byte[] wav, String what) {
        try {
            Wav.parse(wav);
            fail(what + ": parsed");
        } catch (WavFormatException expected) {
            // fine
        } catch (RuntimeException | Error e) {
            throw new AssertionError(what + ": " + e, e);
        }
    }

    static byte[] wav(int encoding, int channels, int rate, int bits, byte[] data) {
        return new WavWriter().chunk("fmt ", fmt(encoding, channels, rate, bits)).chunk("data", data).bytes();
    }

    static byte[] fmt(int encoding, int channels, int rate, int bits) {
        ByteBuffer fmt = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        int blockAlign = channels * bits / 8;
        fmt.putShort((short) encoding).putShort((short) channels).putInt(rate).putInt(rate * blockAlign)
                .putShort((short) blockAlign).putShort((short) bits);
        return fmt.array();
    }

    private static byte[] fmt18(int encoding, int channels, int rate, int bits) {
        return Arrays.copyOf(fmt(encoding, channels, rate, bits), 18); // cbSize 0
    }

    private static byte[] fmtExtensible(int subFormat, int channels, int rate, int bits, byte[] guidTail) {
        ByteBuffer fmt = ByteBuffer.allocate(40).order(ByteOrder.LITTLE_ENDIAN);
        fmt.put(fmt(Wav.EXTENSIBLE, channels, rate, bits));
        fmt.putShort((short) 22).putShort((short) bits).putInt(channels == 1 ? 4 : 3).putShort((short) subFormat)
                .put(guidTail);
        return fmt.array();
    }

    private static byte[] guidTail() {
        return new byte[]{0x00, 0x00, 0x00, 0x00, 0x10, 0x00, (byte) 0x80, 0x00, 0x00, (byte) 0xAA, 0x00, 0x38,
                (byte) 0x9B, 0x71};
    }

    private static byte[] samples24(int... values) {
        byte[] out = new byte[values.length * 3];
        for (int i = 0; i < values.length; i++) {
            out[3 * i] = (byte) values[i];
            out[3 * i + 1] = (byte) (values[i] >> 8);
            out[3 * i + 2] = (byte) (values[i] >> 16);
        }
        return out;
    }

    private static byte[] ints(int... values) {
        ByteBuffer out = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int value : values) {
            out.putInt(value);
        }
        return out.array();
    }

    private static byte[] shorts(int... values) {
        ByteBuffer out = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (int value : values) {
            out.putShort((short) value);
        }
        return out.array();
    }

    private static byte[] ramp(int length) {
        byte[] out = new byte[length];
        for (int i = 0; i < length; i++) {
            out[i] = (byte) (i * 31 + 7);
        }
        return out;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** Builds RIFF/WAVE files chunk by chunk; the RIFF size is filled in by {@link #bytes()}. */
    static final class WavWriter {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        WavWriter() {
            out.writeBytes(new byte[]{'R', 'I', 'F', 'F', 0, 0, 0, 0, 'W', 'A', 'V', 'E'});
        }

        WavWriter chunk(String id, byte[] body) {
            ByteBuffer header = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < 4; i++) {
                header.put((byte) id.charAt(i));
            }
            header.putInt(body.length);
            out.writeBytes(header.array());
            out.writeBytes(body);
            if (body.length % 2 != 0) {
                out.write(0);
            }
            return this;
        }

        byte[] bytes() {
            byte[] bytes = out.toByteArray();
            ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(4, bytes.length - 8);
            return bytes;
        }
    }
}
