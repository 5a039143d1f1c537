package dev.earshot.audio;

import dev.earshot.spi.audio.AudioFormat;
import dev.earshot.spi.audio.AudioFrame;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Known signals read the levels their definition gives. */
class LevelMeterTest {

    private static final AudioFormat MONO = AudioFormat.SPEECH_16K;

    @Test
    void aSineAtHalfScaleReadsMinus6PeakAndMinus9Rms() {
        LevelMeter meter = new LevelMeter();
        meter.measure(sine(MONO, 1000, 16384, 1600));
        assertEquals(-6.02, meter.peakDbfs(), 0.01);
        assertEquals(-9.03, meter.rmsDbfs(), 0.01);
    }

    @Test
    void aFullScaleSquareReadsZeroAndAQuietSineReadsItsLevel() {
        LevelMeter meter = new LevelMeter();
        short[] square = new short[1600];
        for (int i = 0; i < square.length; i++) {
            square[i] = (i / 8) % 2 == 0 ? Short.MAX_VALUE : Short.MIN_VALUE;
        }
        meter.measure(AudioFrame.ofSamples(MONO, square, square.length, 0, Instant.EPOCH));
        assertEquals(0.0, meter.peakDbfs(), 0.001);
        assertEquals(0.0, meter.rmsDbfs(), 0.001);
        // -40 dBFS peak: amplitude 327.68 rounds to 328.
        meter.measure(sine(MONO, 440, 328, 16000));
        assertEquals(-40.0, meter.peakDbfs(), 0.02);
        assertEquals(-43.0, meter.rmsDbfs(), 0.05);
    }

    @Test
    void silenceReadsTheFloorAndNothingMeasuredReadsNaN() {
        LevelMeter meter = new LevelMeter();
        assertTrue(Double.isNaN(meter.peakDbfs()));
        assertTrue(Double.isNaN(meter.rmsDbfs()));
        meter.measure(AudioFrame.copyOf(MONO, new byte[0], 0, 0, 0, Instant.EPOCH));
        assertTrue(Double.isNaN(meter.rmsDbfs()), "an empty frame changes nothing");
        meter.measure(AudioFrame.copyOf(MONO, new byte[3200], 0, 3200, 0, Instant.EPOCH));
        assertEquals(LevelMeter.FLOOR_DBFS, meter.peakDbfs());
        assertEquals(LevelMeter.FLOOR_DBFS, meter.rmsDbfs());
        // One step of 16 bits: -90.3 dBFS peak, above the floor.
        short[] step = new short[1600];
        step[0] = 1;
        meter.measure(AudioFrame.ofSamples(MONO, step, step.length, 1, Instant.EPOCH));
        assertEquals(-90.31, meter.peakDbfs(), 0.01);
        assertEquals(LevelMeter.FLOOR_DBFS, meter.rmsDbfs(), "RMS of one step in 1600 samples is below the floor");
    }

    @Test
    void channelsOfAStereoFrameCountAlike() {
        AudioFormat stereo = new AudioFormat(48000, 2);
        short[] samples = new short[2 * 4800];
        for (int i = 0; i < 4800; i++) {
            samples[2 * i] = (short) Math.round(16384 * Math.sin(2 * Math.PI * 1000 * i / 48000.0));
            // The right channel is silent: the mean square halves (-3 dB) while the peak stays.
        }
        LevelMeter meter = new LevelMeter();
        meter.measure(AudioFrame.ofSamples(stereo, samples, samples.length, 0, Instant.EPOCH));
        assertEquals(-6.02, meter.peakDbfs(), 0.01);
        assertEquals(-12.04, meter.rmsDbfs(), 0.01);
    }

    static AudioFrame sine(AudioFormat format, double hz, double amplitude, int count) {
        short[] samples = new short[count];
        for (int i = 0; i < count; i++) {
            samples[i] = (short) Math.round(amplitude * Math.sin(2 * Math.PI * hz * i / format.sampleRate()));
        }
        return AudioFrame.ofSamples(format, samples, count, 0, Instant.EPOCH);
    }
}
