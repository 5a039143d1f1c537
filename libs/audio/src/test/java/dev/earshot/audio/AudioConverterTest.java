package dev.earshot.audio;

import java.lang.management.ManagementFactory;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

import dev.earshot.spi.audio.AudioFormat;
import dev.earshot.spi.audio.AudioFrame;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Plain unit tests of {@link AudioConverter}: signal levels are measured on the converter's 16-bit output, so the
 * figures include rounding (the measurement floor is about -95 dB re full scale).
 */
class AudioConverterTest {

    private static final Instant T0 = Instant.parse("2024-05-01T12:00:00Z");
    private static final AudioFormat MONO_16K = AudioFormat.SPEECH_16K;

    // ---------------------------------------------------------------- identity, API contract

    @Test
    void identityReturnsTheSameFrame() {
        AudioConverter converter = AudioConverter.create(MONO_16K, new AudioFormat(16_000, 1));
        assertTrue(converter.isIdentity());
        AudioFrame frame = frame(MONO_16K, sine(16_000, 1, 440, 10_000, 320, 0), 0, 320, 5);
        assertSame(frame, converter.convert(frame));
        assertSame(frame, converter.convert(frame));
        assertNull(converter.flush(6, T0));

        AudioFormat stereo = new AudioFormat(44_100, 2);
        AudioConverter stereoIdentity = AudioConverter.create(stereo, stereo);
        AudioFrame stereoFrame = frame(stereo, sine(44_100, 2, 440, 10_000, 441, 0), 0, 441, 0);
        assertTrue(stereoIdentity.isIdentity());
        assertSame(stereoFrame, stereoIdentity.convert(stereoFrame));
        assertFalse(AudioConverter.create(stereo, MONO_16K).isIdentity());
    }

    @Test
    void warmUpSequenceCaptureTimeAndFinish() {
        AudioFormat in = new AudioFormat(44_100, 1);
        AudioConverter converter = AudioConverter.create(in, MONO_16K);
        assertEquals(in, converter.input());
        assertEquals(MONO_16K, converter.output());
        short[] x = sine(44_100, 1, 1000, 8000, 4410, 0);
        // The first sample cannot produce output: the filter needs taps/2 samples of look-ahead.
        assertNull(converter.convert(frame(in, x, 0, 1, 0)));
        assertNull(converter.convert(frame(in, x, 1, 0, 1)), "an empty frame produces nothing");
        int outputs = 0;
        for (int i = 1, seq = 2; i < x.length; i += 441, seq++) {
            Instant time = T0.plusMillis(10L * seq);
            AudioFrame out = converter.convert(frame(in, x, i, Math.min(441, x.length - i), seq, time));
            if (out != null) {
                assertEquals(seq, out.sequence());
                assertEquals(time, out.captureTime());
                assertEquals(MONO_16K, out.format());
                outputs += out.sampleCount();
            }
        }
        AudioFrame tail = converter.flush(99, T0.plusSeconds(7));
        assertNotNull(tail);
        assertEquals(99, tail.sequence());
        assertEquals(T0.plusSeconds(7), tail.captureTime());
        assertEquals(1600, outputs + tail.sampleCount());

        IllegalStateException afterFlush = assertThrows(IllegalStateException.class,
                () -> converter.convert(frame(in, x, 0, 10, 100)));
        assertTrue(afterFlush.getMessage().contains("finished"), afterFlush.getMessage());
        assertThrows(IllegalStateException.class, () -> converter.flush(101, T0));
    }

    @Test
    void refusesUnsupportedChannelChangesAndForeignFrames() {
        IllegalArgumentException upMix = assertThrows(IllegalArgumentException.class,
                () -> AudioConverter.create(new AudioFormat(16_000, 1), new AudioFormat(16_000, 2)));
        assertTrue(upMix.getMessage().contains("cannot convert 1 channel to 2 channels; engines take mono"),
                upMix.getMessage());
        IllegalArgumentException threeToTwo = assertThrows(IllegalArgumentException.class,
                () -> AudioConverter.create(new AudioFormat(48_000, 3), new AudioFormat(16_000, 2)));
        assertTrue(threeToTwo.getMessage().contains("cannot convert 3 channels to 2 channels"), threeToTwo.getMessage());

        AudioConverter converter = AudioConverter.create(new AudioFormat(48_000, 2), MONO_16K);
        AudioFrame foreign = frame(new AudioFormat(44_100, 2), new short[20], 0, 10, 0);
        assertThrows(IllegalArgumentException.class, () -> converter.convert(foreign));
        // N -> N with resampling is allowed.
        assertEquals(new AudioFormat(16_000, 2),
                AudioConverter.create(new AudioFormat(48_000, 2), new AudioFormat(16_000, 2)).output());
    }

    @Test
    void filterBanksAreSharedPerRatio() {
        AudioConverter a = AudioConverter.create(new AudioFormat(44_100, 2), MONO_16K);
        AudioConverter b = AudioConverter.create(new AudioFormat(44_100, 1), MONO_16K);
        AudioConverter c = AudioConverter.create(new AudioFormat(88_200, 1), new AudioFormat(32_000, 1));
        assertSame(a.filter(), b.filter());
        assertSame(a.filter(), c.filter());
        assertEquals(160, a.filter().up);
        assertEquals(441, a.filter().down);
        assertEquals(140, a.filter().taps);
        assertEquals(160 * 140, a.filter().coefficients.length);
        assertFalse(a.filter().interpolated);
        assertEquals(3, AudioConverter.create(new AudioFormat(48_000, 1), MONO_16K).filter().down);
        assertTrue(AudioConverter.create(new AudioFormat(47_999, 1), MONO_16K).filter().interpolated);
        assertNull(AudioConverter.create(new AudioFormat(16_000, 2), MONO_16K).filter());
    }

    @Test
    void besselI0MatchesKnownValues() {
        assertEquals(1.0, PolyphaseFilter.besselI0(0), 1e-15);
        assertEquals(1.2660658777520082, PolyphaseFilter.besselI0(1), 1e-13);
        assertEquals(2815.716628466254, PolyphaseFilter.besselI0(10), 1e-9);
    }

    // ---------------------------------------------------------------- tones: frequency and level

    static Stream<Arguments> tones() {
        List<Arguments> cases = new ArrayList<>();
        int[][] inputs = {{8_000, 1}, {11_025, 1}, {22_050, 1}, {32_000, 1}, {44_100, 1}, {44_100, 2}, {48_000, 1},
                {48_000, 2}, {47_999, 1}};
        for (int[] input : inputs) {
            for (int freq : new int[] {1000, 3000}) {
                cases.add(Arguments.of(input[0], input[1], 16_000, freq));
            }
        }
        cases.add(Arguments.of(16_000, 1, 8_000, 1000));
        cases.add(Arguments.of(16_000, 1, 8_000, 3000));
        return cases.stream();
    }

    @ParameterizedTest(name = "{3} Hz at {0} Hz x{1} -> {2} Hz mono")
    @MethodSource("tones")
    void toneKeepsItsFrequencyAndLevel(int inRate, int channels, int outRate, int freq) {
        AudioFormat in = new AudioFormat(inRate, channels);
        AudioConverter converter = AudioConverter.create(in, new AudioFormat(outRate, 1));
        int frames = inRate / 2;
        // Stereo: left at 0.6, right at 0.4 of the level; their average is the level.
        double level = 16_000;
        short[] x = new short[frames * channels];
        for (int i = 0; i < frames; i++) {
            double s = Math.sin(2 * Math.PI * freq * i / inRate);
            for (int c = 0; c < channels; c++) {
                double gain = channels == 1 ? 1 : c == 0 ? 1.2 : 0.8;
                x[i * channels + c] = (short) Math.round(level * gain * s);
            }
        }
        short[] y = convertAll(converter, x, new int[] {441, 160, 7});
        assertEquals(Math.round(frames * (double) outRate / inRate), y.length);
        int from = outRate / 20;
        int to = y.length - outRate / 20;

        double measuredFreq = zeroCrossingFrequency(y, from, to, outRate);
        assertEquals(freq, measuredFreq, freq * 1e-3, "zero-crossing frequency");
        double gainDb = db(toneAt(y, from, to, freq, outRate)[0] / level);
        assertTrue(Math.abs(gainDb) <= 0.5, "level " + gainDb + " dB");
        double spuriousDb = db(residualRms(y, from, to, freq, outRate) * Math.sqrt(2) / level);
        assertTrue(spuriousDb < -60, "spurious " + spuriousDb + " dB");
    }

    // ---------------------------------------------------------------- aliasing and imaging

    @ParameterizedTest(name = "{2} Hz at {0} Hz -> {1} Hz: alias at {3} Hz below -{4} dB")
    @CsvSource({
            // 11 kHz is far into the stopband (>= 8 kHz) of 48 -> 16 kHz; it would alias to 5 kHz.
            "48000, 16000, 11000, 5000, 60",
            // 8.5 kHz is just past the stopband edge; it would alias to 7.5 kHz.
            "48000, 16000, 8500, 7500, 60",
            // 9 kHz at 44.1 kHz would alias to 7 kHz.
            "44100, 16000, 9000, 7000, 60",
            // 15 kHz at 44.1 kHz would alias to 1 kHz, in the middle of the speech band.
            "44100, 16000, 15000, 1000, 60",
            // 12 kHz at 32 kHz would alias to 4 kHz.
            "32000, 16000, 12000, 4000, 60",
            // 6 kHz at 16 kHz -> 8 kHz would alias to 2 kHz.
            "16000, 8000, 6000, 2000, 60",
            // The interpolated bank of an odd ratio: 11 kHz at 47999 Hz would alias to 5 kHz.
            "47999, 16000, 11000, 5000, 60",
    })
    void tonesAboveTheOutputBandDoNotAlias(int inRate, int outRate, double freq, double alias, double minDb) {
        double level = 29_000;
        short[] y = convertAll(AudioConverter.create(new AudioFormat(inRate, 1), new AudioFormat(outRate, 1)),
                sine(inRate, 1, freq, level, inRate / 2, 0), new int[] {1000});
        int from = outRate / 20;
        int to = y.length - outRate / 20;
        double atAlias = db(toneAt(y, from, to, alias, outRate)[0] / level);
        double total = db(rms(y, from, to) * Math.sqrt(2) / level);
        System.out.printf("alias of %.0f Hz at %d -> %d Hz: %.1f dB at %.0f Hz, %.1f dB in all%n",
                freq, inRate, outRate, atAlias, alias, total);
        assertTrue(atAlias <= -minDb, "alias at " + atAlias + " dB");
        assertTrue(total <= -minDb, "output at " + total + " dB");
    }

    @ParameterizedTest(name = "{2} Hz at {0} Hz -> {1} Hz: image at {3} Hz below -60 dB")
    @CsvSource({
            // Up-sampling 8 -> 16 kHz: a 3 kHz tone has its image at 8 - 3 = 5 kHz.
            "8000, 16000, 3000, 5000",
            "8000, 16000, 1000, 7000",
            // 11025 -> 16000: the image at 11025 + 1000 Hz folds to 16000 - 12025 = 3975 Hz.
            "11025, 16000, 1000, 3975",
            // 11025 -> 16000: the image at 11025 - 4000 = 7025 Hz.
            "11025, 16000, 4000, 7025",
    })
    void upSamplingLeavesNoImages(int inRate, int outRate, double freq, double image) {
        double level = 29_000;
        short[] y = convertAll(AudioConverter.create(new AudioFormat(inRate, 1), new AudioFormat(outRate, 1)),
                sine(inRate, 1, freq, level, inRate / 2, 0), new int[] {160});
        int from = outRate / 20;
        int to = y.length - outRate / 20;
        double atImage = db(toneAt(y, from, to, image, outRate)[0] / level);
        double wanted = db(toneAt(y, from, to, freq, outRate)[0] / level);
        System.out.printf("image of %.0f Hz at %d -> %d Hz: %.1f dB at %.0f Hz (tone %.2f dB)%n",
                freq, inRate, outRate, atImage, image, wanted);
        assertTrue(Math.abs(wanted) <= 0.5, "tone at " + wanted + " dB");
        assertTrue(atImage <= -60, "image at " + atImage + " dB");
    }

    /**
     * 7 kHz is below the 8 kHz Nyquist frequency of 16 kHz audio, so it is a legitimate tone there, not an alias; it
     * sits in the transition band (6.4 .. 8 kHz) and so comes out at 7 kHz, somewhat attenuated, and nothing else.
     */
    @Test
    void transitionBandToneIsAttenuatedNotFolded() {
        double level = 29_000;
        short[] y = convertAll(AudioConverter.create(new AudioFormat(44_100, 1), MONO_16K),
                sine(44_100, 1, 7000, level, 22_050, 0), new int[] {441});
        int from = 800;
        int to = y.length - 800;
        double gain = db(toneAt(y, from, to, 7000, 16_000)[0] / level);
        double spurious = db(residualRms(y, from, to, 7000, 16_000) * Math.sqrt(2) / level);
        System.out.printf("7 kHz at 44100 -> 16000 Hz (transition band): %.2f dB, everything else %.1f dB%n",
                gain, spurious);
        assertTrue(gain < -0.5 && gain > -6.5, "gain " + gain + " dB");
        assertTrue(spurious < -60, "spurious " + spurious + " dB");
    }

    /**
     * Sweeps tones through the converter and measures the passband (0 .. 0.40 x minRate) ripple, what is left besides
     * the wanted tone (aliases, images) for tones up to 0.50 x minRate, and the level of the output for tones of the
     * stopband (0.50 x minRate .. input Nyquist), which are entirely aliases.
     */
    @ParameterizedTest(name = "{0} Hz -> {1} Hz")
    @CsvSource({"48000, 16000", "44100, 16000", "32000, 16000", "22050, 16000", "11025, 16000", "8000, 16000",
            "16000, 8000", "47999, 16000", "44100, 48000"})
    void frequencyResponse(int inRate, int outRate) {
        double level = 29_000;
        int minRate = Math.min(inRate, outRate);
        AudioConverter template = AudioConverter.create(new AudioFormat(inRate, 1), new AudioFormat(outRate, 1));
        double ripple = 0;
        double worstSpurious = -200;
        double worstStopband = -200;
        int tones = 0;
        for (double f = 0.013 * minRate; f < inRate / 2.0 - 0.01 * minRate; f += 0.0123 * minRate) {
            AudioConverter converter = AudioConverter.create(template.input(), template.output());
            short[] y = convertAll(converter, sine(inRate, 1, f, level, inRate / 4, 0.3), new int[] {4096});
            int from = outRate / 40;
            int to = y.length - outRate / 40;
            tones++;
            if (f <= 0.5 * minRate) {
                if (f <= 0.4 * minRate) {
                    ripple = Math.max(ripple, Math.abs(db(toneAt(y, from, to, f, outRate)[0] / level)));
                }
                worstSpurious = Math.max(worstSpurious, db(residualRms(y, from, to, f, outRate) * Math.sqrt(2) / level));
            } else {
                worstStopband = Math.max(worstStopband, db(rms(y, from, to) * Math.sqrt(2) / level));
            }
        }
        PolyphaseFilter filter = template.filter();
        System.out.printf("response %d -> %d Hz (L/M %d/%d, %d taps/phase, %s bank): %d tones, passband ripple "
                        + "+-%.4f dB, worst alias/image of an in-band tone %.1f dB, worst stopband tone %s%n",
                inRate, outRate, filter.up, filter.down, filter.taps,
                filter.interpolated ? "interpolated " + filter.phases + "-phase" : "exact", tones, ripple,
                worstSpurious, worstStopband == -200 ? "n/a (up-sampling)" : String.format("%.1f dB", worstStopband));
        assertTrue(ripple <= 0.5, "passband ripple " + ripple + " dB");
        assertTrue(worstSpurious <= -60, "alias/image " + worstSpurious + " dB");
        assertTrue(worstStopband <= -60, "stopband " + worstStopband + " dB");
    }

    // ---------------------------------------------------------------- streaming: chunking, length, delay

    static Stream<Arguments> ratios() {
        return Stream.of(
                Arguments.of(44_100, 2, 16_000, 1),
                Arguments.of(48_000, 1, 16_000, 1),
                Arguments.of(48_000, 2, 16_000, 2),
                Arguments.of(8_000, 1, 16_000, 1),
                Arguments.of(11_025, 1, 16_000, 1),
                Arguments.of(22_050, 1, 16_000, 1),
                Arguments.of(32_000, 1, 16_000, 1),
                Arguments.of(16_000, 1, 8_000, 1),
                Arguments.of(47_999, 1, 16_000, 1),
                Arguments.of(48_000, 6, 48_000, 1));
    }

    @ParameterizedTest(name = "{0} Hz x{1} -> {2} Hz x{3}")
    @MethodSource("ratios")
    void outputDoesNotDependOnChunking(int inRate, int inChannels, int outRate, int outChannels) {
        AudioFormat in = new AudioFormat(inRate, inChannels);
        AudioFormat out = new AudioFormat(outRate, outChannels);
        Random random = new Random(42);
        int frames = inRate * 3 / 10 + 13;
        short[] x = new short[frames * inChannels];
        for (int i = 0; i < frames; i++) {
            for (int c = 0; c < inChannels; c++) {
                double v = 9000 * Math.sin(2 * Math.PI * (300 + 500 * c) * i / inRate)
                        + 6000 * Math.sin(2 * Math.PI * 6100 * i / inRate) + 4000 * random.nextGaussian();
                x[i * inChannels + c] = (short) Math.max(-32768, Math.min(32767, Math.round(v)));
            }
        }
        int[] randomSizes = new int[300];
        for (int i = 0; i < randomSizes.length; i++) {
            randomSizes[i] = 1 + random.nextInt(i % 3 == 0 ? 5 : 1500);
        }
        short[] whole = convertAll(AudioConverter.create(in, out), x, new int[] {frames});
        assertEquals((2L * frames * outRate + inRate) / (2L * inRate) * outChannels, whole.length);
        int[][] patterns = {{1}, {7}, {160}, {441}, {1, 1000, 3}, {4096, 1}, randomSizes};
        for (int[] pattern : patterns) {
            assertArrayEquals(whole, convertAll(AudioConverter.create(in, out), x, pattern),
                    "chunks " + Arrays.toString(pattern).substring(0, Math.min(40, Arrays.toString(pattern).length())));
        }
    }

    @ParameterizedTest(name = "{0} Hz x{1} -> {2} Hz x{3}")
    @MethodSource("ratios")
    void outputLengthIsTheRoundedDuration(int inRate, int inChannels, int outRate, int outChannels) {
        AudioFormat in = new AudioFormat(inRate, inChannels);
        AudioFormat out = new AudioFormat(outRate, outChannels);
        for (int frames : new int[] {0, 1, 2, 3, 5, 7, 31, 100, 441, 1000, 1001, 12_345, 44_100, 44_101, 48_000}) {
            short[] x = new short[frames * inChannels];
            Arrays.fill(x, (short) 1000);
            long expected = Math.round(frames * (double) outRate / inRate);
            assertEquals(expected * outChannels, convertAll(AudioConverter.create(in, out), x, new int[] {160}).length,
                    frames + " input samples");
            assertEquals(expected * outChannels, convertAll(AudioConverter.create(in, out), x, new int[] {1}).length,
                    frames + " input samples one by one");
        }
    }

    @ParameterizedTest(name = "impulse at {2} of {0} Hz -> {1} Hz lands at {3}")
    @CsvSource({
            "48000, 16000, 3000, 1000",
            "44100, 16000, 4410, 1600",
            "44100, 16000, 4411, 1600",
            "44100, 16000, 4412, 1601",
            "32000, 16000, 2000, 1000",
            "22050, 16000, 2205, 1600",
            "11025, 16000, 2205, 3200",
            "8000, 16000, 1000, 2000",
            "16000, 8000, 2000, 1000",
            "47999, 16000, 47999, 16000",
            // An impulse at the very first sample lands at output 0: there is no leading shift.
            "44100, 16000, 0, 0",
            "8000, 16000, 0, 0",
    })
    void impulseLandsAtItsTime(int inRate, int outRate, int at, int expected) {
        int frames = inRate * 2;
        short[] x = new short[frames];
        x[at] = 30_000;
        short[] y = convertAll(AudioConverter.create(new AudioFormat(inRate, 1), new AudioFormat(outRate, 1)), x,
                new int[] {333});
        int peak = 0;
        for (int i = 1; i < y.length; i++) {
            if (y[i] > y[peak]) {
                peak = i;
            }
        }
        double exact = (double) at * outRate / inRate;
        assertTrue(Math.abs(peak - exact) <= 1, "peak at " + peak + ", impulse time " + exact);
        assertEquals(expected, peak);
    }

    @ParameterizedTest(name = "{2} Hz at {0} Hz -> {1} Hz")
    @CsvSource({"48000, 16000, 1000", "44100, 16000, 1000", "44100, 16000, 3000", "22050, 16000, 3000",
            "8000, 16000, 1000", "8000, 16000, 3000", "16000, 8000, 3000", "47999, 16000, 1000"})
    void tonePhaseIsPreserved(int inRate, int outRate, double freq) {
        short[] y = convertAll(AudioConverter.create(new AudioFormat(inRate, 1), new AudioFormat(outRate, 1)),
                sine(inRate, 1, freq, 20_000, inRate / 2, 0), new int[] {512});
        double[] tone = toneAt(y, outRate / 20, y.length - outRate / 20, freq, outRate);
        // sin(wt) = cos(wt - pi/2): any other phase is a time shift.
        double phaseError = Math.IEEEremainder(tone[1] + Math.PI / 2, 2 * Math.PI);
        double shiftSamples = -phaseError / (2 * Math.PI * freq) * outRate;
        assertTrue(Math.abs(shiftSamples) < 0.05, "shift " + shiftSamples + " output samples");
    }

    // ---------------------------------------------------------------- down-mix and clipping

    @Test
    void downMixWithoutResampling() {
        AudioFormat stereo = new AudioFormat(48_000, 2);
        AudioConverter converter = AudioConverter.create(stereo, new AudioFormat(48_000, 1));
        Random random = new Random(7);
        int frames = 4800;
        short[] opposite = new short[2 * frames];
        short[] equal = new short[2 * frames];
        short[] mono = new short[frames];
        for (int i = 0; i < frames; i++) {
            short v = (short) (i < 2 ? (i == 0 ? 32767 : -32767) : random.nextInt(65535) - 32767);
            opposite[2 * i] = v;
            opposite[2 * i + 1] = (short) -v;
            mono[i] = i == 2 ? -32768 : v;
            equal[2 * i] = mono[i];
            equal[2 * i + 1] = mono[i];
        }
        assertArrayEquals(new short[frames], convertAll(converter, opposite, new int[] {480}));
        assertArrayEquals(mono, convertAll(AudioConverter.create(stereo, new AudioFormat(48_000, 1)), equal,
                new int[] {480}));

        // Eight channels at full scale do not overflow; averages round half up.
        AudioFormat eight = new AudioFormat(16_000, 8);
        short[] x = new short[8 * 5];
        Arrays.fill(x, 0, 8, (short) -32768);
        Arrays.fill(x, 8, 16, (short) 32767);
        x[16] = 4; // 4/8 = 0.5 -> 1
        x[24] = -4; // -4/8 = -0.5 -> 0
        x[32] = -4;
        x[33] = -1; // -5/8 -> -1
        assertArrayEquals(new short[] {-32768, 32767, 1, 0, -1},
                convertAll(AudioConverter.create(eight, MONO_16K), x, new int[] {1}));
    }

    @Test
    void downMixBeforeResampling() {
        AudioFormat stereo = new AudioFormat(44_100, 2);
        Random random = new Random(11);
        int frames = 22_050;
        short[] opposite = new short[2 * frames];
        short[] equal = new short[2 * frames];
        short[] mono = new short[frames];
        for (int i = 0; i < frames; i++) {
            short v = (short) Math.round(12_000 * Math.sin(2 * Math.PI * 700 * i / 44_100.0) + 3000 * random.nextGaussian());
            opposite[2 * i] = v;
            opposite[2 * i + 1] = (short) -v;
            mono[i] = v;
            equal[2 * i] = v;
            equal[2 * i + 1] = v;
        }
        short[] silence = convertAll(AudioConverter.create(stereo, MONO_16K), opposite, new int[] {441});
        assertEquals(8000, silence.length);
        assertArrayEquals(new short[8000], silence);
        short[] fromMono = convertAll(AudioConverter.create(new AudioFormat(44_100, 1), MONO_16K), mono, new int[] {441});
        assertArrayEquals(fromMono, convertAll(AudioConverter.create(stereo, MONO_16K), equal, new int[] {441}));
    }

    @Test
    void fullScaleSquareWaveClipsWithoutWrapping() {
        AudioFormat in = new AudioFormat(48_000, 1);
        int frames = 48_000;
        short[] full = new short[frames];
        short[] reference = new short[frames];
        for (int i = 0; i < frames; i++) {
            boolean high = (i / 240) % 2 == 0; // 100 Hz
            full[i] = (short) (high ? 32767 : -32767);
            reference[i] = (short) (high ? 16000 : -16000);
        }
        short[] y = convertAll(AudioConverter.create(in, MONO_16K), full, new int[] {960});
        short[] r = convertAll(AudioConverter.create(in, MONO_16K), reference, new int[] {960});
        int railHits = 0;
        double scale = 32767.0 / 16000.0;
        for (int n = 0; n < y.length; n++) {
            double expected = Math.max(-32768, Math.min(32767, r[n] * scale));
            assertEquals(expected, y[n], 3.0, "sample " + n);
            if (y[n] == 32767 || y[n] == -32768) {
                railHits++;
            }
        }
        // The band-limited square overshoots (Gibbs) by about 9 %: those samples must sit on the rails.
        assertTrue(railHits > 100, railHits + " samples clipped");
    }

    // ---------------------------------------------------------------- cost

    @Test
    void convertingAFrameAllocatesOnlyTheOutputFrame() {
        java.lang.management.ThreadMXBean bean = ManagementFactory.getThreadMXBean();
        assertTrue(bean instanceof com.sun.management.ThreadMXBean, "HotSpot's ThreadMXBean is needed to count allocations");
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) bean;
        assertTrue(threads.isThreadAllocatedMemorySupported() && threads.isThreadAllocatedMemoryEnabled(),
                "this JVM cannot count allocated bytes per thread");

        AudioFormat in = new AudioFormat(48_000, 2);
        short[] x = sine(48_000, 2, 440, 10_000, 960, 0);
        AudioFrame[] frames = new AudioFrame[3000];
        for (int i = 0; i < frames.length; i++) {
            frames[i] = frame(in, x, 0, 960, i);
        }
        AudioConverter converter = AudioConverter.create(in, MONO_16K);
        long bytes = 0;
        for (int i = 0; i < 2000; i++) {
            bytes += converter.convert(frames[i]).length();
        }
        long tid = Thread.currentThread().getId();
        long before = threads.getThreadAllocatedBytes(tid);
        bytes = 0;
        for (int i = 2000; i < 3000; i++) {
            bytes += converter.convert(frames[i]).length();
        }
        long allocated = threads.getThreadAllocatedBytes(tid) - before;
        double perFrame = allocated / 1000.0;
        double payload = bytes / 1000.0;
        System.out.printf("allocation per 20 ms frame: %.0f bytes for %.0f bytes of output%n", perFrame, payload);
        // The output byte[] (payload + 16 header bytes) and the AudioFrame object; nothing proportional to the work.
        assertTrue(perFrame <= payload + 128, perFrame + " bytes per frame");
    }

    @Test
    void throughput() {
        measureThroughput(new AudioFormat(48_000, 2), MONO_16K);
        measureThroughput(new AudioFormat(44_100, 2), MONO_16K);
        measureThroughput(new AudioFormat(8_000, 1), MONO_16K);
    }

    private static void measureThroughput(AudioFormat in, AudioFormat out) {
        int frameSize = in.sampleRate() / 50;
        short[] x = new short[frameSize * in.channels()];
        Random random = new Random(3);
        for (int i = 0; i < x.length; i++) {
            x[i] = (short) random.nextInt(20_000);
        }
        AudioFrame[] frames = new AudioFrame[50];
        for (int i = 0; i < frames.length; i++) {
            frames[i] = frame(in, x, 0, frameSize, i);
        }
        java.lang.management.ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        AudioConverter converter = AudioConverter.create(in, out);
        long sink = 0;
        for (int i = 0; i < 500; i++) { // 10 s warm-up
            sink += converter.convert(frames[i % 50]).length();
        }
        int seconds = 60;
        long start = threads.getCurrentThreadCpuTime();
        for (int i = 0; i < seconds * 50; i++) {
            sink += converter.convert(frames[i % 50]).length();
        }
        double cpu = (threads.getCurrentThreadCpuTime() - start) / 1e9;
        System.out.printf("throughput %s -> %s: %.0f s of audio per CPU second (%d s in %.3f s CPU; %d bytes out)%n",
                in, out, seconds / cpu, seconds, cpu, sink);
    }

    // ---------------------------------------------------------------- helpers

    /** A sine of the given peak level on every channel, interleaved. */
    private static short[] sine(int rate, int channels, double freq, double level, int frames, double phase) {
        short[] x = new short[frames * channels];
        for (int i = 0; i < frames; i++) {
            short v = (short) Math.round(level * Math.sin(2 * Math.PI * freq * i / rate + phase));
            for (int c = 0; c < channels; c++) {
                x[i * channels + c] = v;
            }
        }
        return x;
    }

    private static AudioFrame frame(AudioFormat format, short[] interleaved, int fromFrame, int frames, long sequence) {
        return frame(format, interleaved, fromFrame, frames, sequence, T0.plusMillis(sequence));
    }

    private static AudioFrame frame(AudioFormat format, short[] interleaved, int fromFrame, int frames, long sequence,
                                    Instant time) {
        int ch = format.channels();
        short[] part = Arrays.copyOfRange(interleaved, fromFrame * ch, (fromFrame + frames) * ch);
        return AudioFrame.ofSamples(format, part, part.length, sequence, time);
    }

    /** Feeds {@code x} in chunks whose sizes (in sample frames) cycle through {@code pattern}; returns all output. */
    private static short[] convertAll(AudioConverter converter, short[] x, int[] pattern) {
        int ch = converter.input().channels();
        int frames = x.length / ch;
        short[] out = new short[16];
        int n = 0;
        long seq = 0;
        for (int at = 0, k = 0; at < frames; k++) {
            int size = Math.min(pattern[k % pattern.length], frames - at);
            AudioFrame result = converter.convert(frame(converter.input(), x, at, size, seq++));
            at += size;
            if (result != null) {
                out = append(out, n, result);
                n += result.sampleCount();
            }
        }
        AudioFrame tail = converter.flush(seq, T0);
        if (tail != null) {
            out = append(out, n, tail);
            n += tail.sampleCount();
        }
        return Arrays.copyOf(out, n);
    }

    private static short[] append(short[] out, int n, AudioFrame frame) {
        int count = frame.sampleCount();
        if (n + count > out.length) {
            out = Arrays.copyOf(out, Math.max(2 * out.length, n + count));
        }
        for (int i = 0; i < count; i++) {
            out[n + i] = frame.sample(i);
        }
        return out;
    }

    /** Amplitude and phase (of a cosine, against absolute sample index) of the component at {@code freq}; Hann window. */
    private static double[] toneAt(short[] y, int from, int to, double freq, int rate) {
        double re = 0;
        double im = 0;
        double weights = 0;
        for (int n = from; n < to; n++) {
            double w = 0.5 - 0.5 * Math.cos(2 * Math.PI * (n - from) / (to - from - 1));
            double angle = 2 * Math.PI * freq * n / rate;
            re += w * y[n] * Math.cos(angle);
            im -= w * y[n] * Math.sin(angle);
            weights += w;
        }
        return new double[] {2 * Math.hypot(re, im) / weights, Math.atan2(im, re)};
    }

    /** RMS of what is left after removing the least-squares sinusoid at {@code freq} (aliases, images, noise). */
    private static double residualRms(short[] y, int from, int to, double freq, int rate) {
        double cc = 0;
        double ss = 0;
        double cs = 0;
        double yc = 0;
        double ys = 0;
        for (int n = from; n < to; n++) {
            double angle = 2 * Math.PI * freq * n / rate;
            double c = Math.cos(angle);
            double s = Math.sin(angle);
            cc += c * c;
            ss += s * s;
            cs += c * s;
            yc += y[n] * c;
            ys += y[n] * s;
        }
        double det = cc * ss - cs * cs;
        double a = (yc * ss - ys * cs) / det;
        double b = (ys * cc - yc * cs) / det;
        double sum = 0;
        for (int n = from; n < to; n++) {
            double angle = 2 * Math.PI * freq * n / rate;
            double e = y[n] - a * Math.cos(angle) - b * Math.sin(angle);
            sum += e * e;
        }
        return Math.sqrt(sum / (to - from));
    }

    private static double rms(short[] y, int from, int to) {
        double sum = 0;
        for (int n = from; n < to; n++) {
            sum += (double) y[n] * y[n];
        }
        return Math.sqrt(sum / (to - from));
    }

    /** Frequency from the upward zero crossings (linearly interpolated) between {@code from} and {@code to}. */
    private static double zeroCrossingFrequency(short[] y, int from, int to, int rate) {
        double first = Double.NaN;
        double last = Double.NaN;
        int crossings = 0;
        for (int n = from; n + 1 < to; n++) {
            if (y[n] < 0 && y[n + 1] >= 0) {
                double t = n + (double) -y[n] / (y[n + 1] - y[n]);
                if (crossings == 0) {
                    first = t;
                }
                last = t;
                crossings++;
            }
        }
        return (crossings - 1) * (double) rate / (last - first);
    }

    /** Decibels; an exact zero reads as -200 dB. */
    private static double db(double ratio) {
        return 20 * Math.log10(Math.max(ratio, 1e-10));
    }
}
