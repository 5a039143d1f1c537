package dev.earshot.spi.audio;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AudioValuesTest {

    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    @Test
    void formatRejectsRatesAndChannelsOutsideTheSupportedRangeNamingTheRange() {
        IllegalArgumentException rate = assertThrows(IllegalArgumentException.class, () -> new AudioFormat(3_999, 1));
        assertTrue(rate.getMessage().contains("3999 Hz") && rate.getMessage().contains("4000 to 192000"), rate.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new AudioFormat(192_001, 1));
        IllegalArgumentException channels = assertThrows(IllegalArgumentException.class, () -> new AudioFormat(16_000, 9));
        assertTrue(channels.getMessage().contains("1 to 8"), channels.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new AudioFormat(16_000, 0));
        assertEquals(4_000, new AudioFormat(4_000, 8).sampleRate());
    }

    @Test
    void formatArithmeticAndEquality() {
        AudioFormat stereo = new AudioFormat(48_000, 2);
        assertEquals(4, stereo.bytesPerFrame());
        assertEquals(192_000, stereo.bytesPerSecond());
        assertEquals(19_200, stereo.bytesFor(Duration.ofMillis(100)));
        assertEquals(Duration.ofMillis(100), stereo.durationOf(19_200));
        assertEquals(new AudioFormat(16_000, 1), AudioFormat.SPEECH_16K);
        assertEquals(AudioFormat.SPEECH_16K.hashCode(), new AudioFormat(16_000, 1).hashCode());
        assertNotEquals(AudioFormat.SPEECH_16K, new AudioFormat(16_000, 2));
        assertEquals("48000 Hz stereo s16le", stereo.toString());
    }

    @Test
    void frameFactoriesCopyAndKeepSamples() {
        byte[] pcm = {0, 0, 1, 0, (byte) 0xff, (byte) 0xff, 0x00, (byte) 0x80};
        AudioFrame frame = AudioFrame.copyOf(AudioFormat.SPEECH_16K, pcm, 2, 6, 7, T0);
        pcm[2] = 99; // the frame holds its own copy
        assertEquals(3, frame.sampleCount());
        assertEquals(1, frame.sample(0));
        assertEquals(-1, frame.sample(1));
        assertEquals(Short.MIN_VALUE, frame.sample(2));
        assertEquals(7, frame.sequence());
        assertEquals(T0, frame.captureTime());
        short[] samples = new short[3];
        assertEquals(3, frame.copySamplesTo(samples));
        assertArrayEquals(new short[]{1, -1, Short.MIN_VALUE}, samples);

        AudioFrame same = AudioFrame.ofSamples(AudioFormat.SPEECH_16K, samples, 3, 7, T0);
        byte[] bytes = new byte[6];
        same.copyTo(bytes, 0);
        assertArrayEquals(new byte[]{1, 0, (byte) 0xff, (byte) 0xff, 0x00, (byte) 0x80}, bytes);
        assertEquals(Duration.ofNanos(3 * 1_000_000_000L / 16_000), same.duration());
    }

    @Test
    void framePcmViewIsReadOnly() {
        AudioFrame frame = AudioFrame.ofSamples(AudioFormat.SPEECH_16K, new short[]{5}, 1, 0, T0);
        ByteBuffer view = frame.pcm();
        assertTrue(view.isReadOnly());
        assertEquals(5, view.getShort(0));
    }

    @Test
    void frameRejectsPartialSamplesNegativeSequencesAndNulls() {
        AudioFormat stereo = new AudioFormat(16_000, 2);
        IllegalArgumentException partial = assertThrows(IllegalArgumentException.class,
                () -> AudioFrame.copyOf(stereo, new byte[6], 0, 6, 0, T0));
        assertTrue(partial.getMessage().contains("6 bytes"), partial.getMessage());
        assertThrows(IllegalArgumentException.class, () -> AudioFrame.copyOf(stereo, new byte[4], 0, 4, -1, T0));
        assertThrows(NullPointerException.class, () -> AudioFrame.copyOf(stereo, new byte[4], 0, 4, 0, null));
        assertThrows(NullPointerException.class, () -> AudioFrame.copyOf(null, new byte[4], 0, 4, 0, T0));
    }
}
