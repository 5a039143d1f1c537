package dev.earshot.gateway.speech;

import dev.earshot.gateway.SpeechFixtures;
import dev.earshot.spi.audio.AudioFormat;
import dev.earshot.spi.audio.AudioFrame;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.vosk.Model;
import org.vosk.Recognizer;

import javax.sound.sampled.AudioSystem;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The speech gate with the real Silero detector on real recorded speech and sox-made room tone and sounds: room tone
 * never reaches the recognizer, speech does with its pre-roll, and the gate closes after the hang-over.
 */
class SpeechGateTest {

    static final Path MODEL = SpeechFixtures.MODEL.getParent().resolve("silero-vad/silero_vad.onnx");
    private static final Duration PRE_ROLL = Duration.ofMillis(300);
    private static final Duration HANG_OVER = Duration.ofSeconds(1);
    private static SileroVad vad;
    private static Model vosk;

    @BeforeAll
    static void load() throws Exception {
        vad = SileroVad.load(MODEL);
        vosk = new Model(SpeechFixtures.MODEL.toString());
    }

    @AfterAll
    static void close() {
        vad.close();
        vosk.close();
    }

    /** What a plain Vosk recognizer makes of the frames the gate let through: every non-empty partial and final. */
    static List<String> heard(List<AudioFrame> frames) throws Exception {
        List<String> heard = new ArrayList<>();
        try (Recognizer recognizer = new Recognizer(vosk, 16000)) {
            for (AudioFrame frame : frames) {
                byte[] pcm = new byte[frame.length()];
                frame.copyTo(pcm, 0);
                String json = recognizer.acceptWaveForm(pcm, pcm.length) ? recognizer.getResult() : recognizer.getPartialResult();
                text(json).ifPresent(heard::add);
            }
            text(recognizer.getFinalResult()).ifPresent(heard::add);
        }
        return heard;
    }

    private static Optional<String> text(String json) {
        var m = Pattern.compile("\"(?:text|partial)\"\\s*:\\s*\"([^\"]*)\"").matcher(json);
        return m.find() && !m.group(1).isBlank() ? Optional.of(m.group(1)) : Optional.empty();
    }

    /** 16 kHz mono 16-bit PCM of a WAV file. */
    static byte[] pcm(Path wav) throws Exception {
        try (var in = AudioSystem.getAudioInputStream(wav.toFile())) {
            assertEquals(16000f, in.getFormat().getSampleRate());
            assertEquals(1, in.getFormat().getChannels());
            return in.readAllBytes();
        }
    }

    /** Feeds PCM in 100 ms frames; the frames let through, with their index in the stream. */
    static List<Integer> passed(SpeechGate gate, byte[] pcm) {
        return through(gate, pcm).stream().map(f -> (int) f.sequence()).toList();
    }

    /** Feeds PCM in 100 ms frames; the frames let through. */
    static List<AudioFrame> through(SpeechGate gate, byte[] pcm) {
        List<AudioFrame> frames = new ArrayList<>();
        for (int offset = 0, f = 0; offset < pcm.length; offset += 3200, f++) {
            frames.add(AudioFrame.copyOf(AudioFormat.SPEECH_16K, pcm, offset, Math.min(3200, pcm.length - offset), f, Instant.now()));
        }
        List<AudioFrame> passed = new ArrayList<>();
        for (AudioFrame frame : frames) {
            passed.addAll(gate.accept(frame));
        }
        return passed;
    }

    private static SpeechGate gate() {
        return new SpeechGate(vad.stream(16_000), 16_000, PRE_ROLL, HANG_OVER);
    }

    @Test
    void roomToneAndNonSpeechSoundsNeverBecomeWords() throws Exception {
        List<Path> sounds = List.of(
                SpeechFixtures.sox("gate-pink-50.wav", "-n", "-r", "16000", "-c", "1", "-b", "16", "OUT", "synth", "20", "pinknoise", "gain", "-n", "-50"),
                SpeechFixtures.sox("gate-pink-35.wav", "-n", "-r", "16000", "-c", "1", "-b", "16", "OUT", "synth", "20", "pinknoise", "gain", "-n", "-35"),
                SpeechFixtures.sox("gate-pink-20.wav", "-n", "-r", "16000", "-c", "1", "-b", "16", "OUT", "synth", "20", "pinknoise", "gain", "-n", "-20"),
                SpeechFixtures.sox("gate-brown-30.wav", "-n", "-r", "16000", "-c", "1", "-b", "16", "OUT", "synth", "20", "brownnoise", "gain", "-n", "-30"),
                SpeechFixtures.sox("gate-tone.wav", "-n", "-r", "16000", "-c", "1", "-b", "16", "OUT", "synth", "10", "sine", "440", "gain", "-n", "-20"),
                SpeechFixtures.sox("gate-chirp.wav", "-n", "-r", "16000", "-c", "1", "-b", "16", "OUT", "synth", "10", "sine", "200-3000", "gain", "-n", "-20"),
                SpeechFixtures.sox("gate-clicks.wav", "-n", "-r", "16000", "-c", "1", "-b", "16", "OUT", "synth", "10", "square", "2", "gain", "-n", "-20"));
        for (Path sound : sounds) {
            SpeechGate gate = gate();
            byte[] pcm = pcm(sound);
            List<AudioFrame> passed = through(gate, pcm);
            assertEquals(List.of(), heard(passed), sound.getFileName() + ": the recognizer hears nothing");
            assertFalse(gate.open(), sound.getFileName() + ": closed at the end");
            // Decoded at most: one onset that sounds like a voice (the chirp's first 0.4 s, 200-300 Hz) with its pre-roll
            // and hang-over, 1.4 s measured; the last 0.3 s are held as pre-roll, neither decoded nor counted as gated.
            assertTrue(gate.gatedSeconds() >= gate.streamSeconds() - 1.5 - PRE_ROLL.toMillis() / 1000.0,
                    sound.getFileName() + ": gated " + gate.gatedSeconds() + " of " + gate.streamSeconds() + " s");
            assertTrue(gate.detectorSeconds() < gate.streamSeconds() / 5, "the detector is cheap: "
                    + gate.detectorSeconds() + " s for " + gate.streamSeconds() + " s");
        }
        for (Path tone : sounds.subList(0, 4)) {
            SpeechGate gate = gate();
            assertEquals(List.of(), passed(gate, pcm(tone)), tone.getFileName() + ": room tone never opens the gate");
        }
    }

    @Test
    void speechIsLetThroughWithItsPreRollAndTheGateClosesAfterTheHangOver() throws Exception {
        String clip = SpeechFixtures.librivoxReferences().keySet().iterator().next();
        Path noise = SpeechFixtures.sox("gate-pink-35-4s.wav", "-n", "-r", "16000", "-c", "1", "-b", "16", "OUT", "synth", "4", "pinknoise", "gain", "-n", "-35");
        Path stream = SpeechFixtures.sox("gate-noise-speech-noise-" + clip, noise.toString(),
                SpeechFixtures.LIBRIVOX.resolve(clip).toString(), noise.toString(), "OUT");
        byte[] pcm = pcm(stream);
        SpeechGate gate = gate();
        List<Integer> passed = passed(gate, pcm);
        assertFalse(passed.isEmpty(), "speech opens the gate");
        int first = passed.get(0);
        int last = passed.get(passed.size() - 1);
        int clipStart = 40; // the clip starts 4 s in: frame 40
        int speechEnd = (int) (clipStart + pcm(SpeechFixtures.LIBRIVOX.resolve(clip)).length / 3200);
        assertTrue(first >= clipStart - 3 && first <= clipStart + 5, "opens at the clip, with its pre-roll (first frame "
                + first + ")");
        assertTrue(last >= speechEnd, "the hang-over covers the end of speech (last frame " + last + ", speech ends at " + speechEnd + ")");
        assertTrue(last <= speechEnd + 14, "and closes about 1 s after it (last frame " + last + ")");
        assertFalse(gate.open(), "closed in the trailing room tone");
        for (int i = 1; i < passed.size(); i++) {
            assertTrue(passed.get(i) > passed.get(i - 1), "in order, none twice: " + passed);
        }
    }

    @Test
    void aStreamCarriesItsStateFromWindowToWindowAndIsReleasedOnce() throws Exception {
        String clip = SpeechFixtures.librivoxReferences().keySet().iterator().next();
        byte[] pcm = pcm(SpeechFixtures.LIBRIVOX.resolve(clip));
        short[] samples = new short[pcm.length / 2];
        java.nio.ByteBuffer.wrap(pcm).order(java.nio.ByteOrder.LITTLE_ENDIAN).asShortBuffer().get(samples);
        float[] first = probabilities(samples, 200);
        float[] again = probabilities(samples, 200);
        assertArrayEquals(first, again, "a fresh stream judges the same audio the same way (its state is its own)");
        float max = 0;
        for (float p : first) {
            max = Math.max(max, p);
        }
        assertTrue(max > 0.9, "speech heard in the clip's first windows: " + max);

        SileroVad.Stream stream = vad.stream(16_000);
        SpeechGate gate = new SpeechGate(stream, 16_000, PRE_ROLL, HANG_OVER);
        gate.close();
        gate.close();
        var error = assertThrows(IllegalStateException.class, () -> stream.probability(samples, 0));
        assertTrue(error.getMessage().contains("closed"), error.getMessage());
    }

    /** The probabilities of the first {@code windows} windows, through a stream of their own. */
    private static float[] probabilities(short[] samples, int windows) {
        try (SileroVad.Stream stream = vad.stream(16_000)) {
            float[] out = new float[windows];
            for (int w = 0; w < windows; w++) {
                out[w] = stream.probability(samples, w * stream.window());
            }
            return out;
        }
    }

    @Test
    void wordTimesMapBackToTheStreamsClock() {
        // A detector that hears speech in windows 10-19 and 40-44 (512 samples each at 16 kHz).
        int[] window = {0};
        SpeechGate gate = new SpeechGate(new SpeechGate.Detector() {
            @Override
            public int window() {
                return 512;
            }

            @Override
            public float probability(short[] samples, int offset) {
                int w = window[0]++;
                return (w >= 10 && w < 20) || (w >= 40 && w < 45) ? 0.9f : 0.1f;
            }
        }, 16_000, Duration.ofMillis(64), Duration.ofMillis(64));
        short[] silence = new short[512];
        List<Integer> passed = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            for (AudioFrame out : gate.accept(AudioFrame.ofSamples(AudioFormat.SPEECH_16K, silence, 512, i, Instant.now()))) {
                passed.add((int) out.sequence());
            }
        }
        // It opens at the second speech window in a row (11, 41) with a pre-roll of 64 ms = 2 windows before it, and
        // closes once more than the hang-over (64 ms = 2 windows) of silence followed the last speech window.
        assertEquals(List.of(9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 39, 40, 41, 42, 43, 44, 45, 46), passed);
        double window32ms = 0.032;
        assertEquals(9 * window32ms, gate.streamSeconds(0.0), 1e-9, "the recognizer's time 0 is window 9");
        assertEquals(12 * window32ms, gate.streamSeconds(3 * window32ms), 1e-9);
        assertEquals(39 * window32ms, gate.streamSeconds(13 * window32ms), 1e-9, "the second stretch starts at window 39");
        assertEquals(41 * window32ms, gate.streamSeconds(15 * window32ms), 1e-9);
        // 60 windows: 21 decoded, 2 held as pre-roll at the end, 37 never decoded.
        assertEquals(37, gate.gatedFrames());
        assertEquals(37 * window32ms, gate.gatedSeconds(), 1e-9);
    }
}
