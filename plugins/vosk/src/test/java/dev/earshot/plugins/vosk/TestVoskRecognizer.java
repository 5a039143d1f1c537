package dev.earshot.plugins.vosk;

import dev.earshot.conformance.TestPluginContext;
import dev.earshot.spi.audio.AudioFormat;
import dev.earshot.spi.audio.AudioFrame;
import dev.earshot.spi.engine.RecognizerOptions;
import dev.earshot.spi.transcript.Alternative;
import dev.earshot.spi.transcript.Hypothesis;
import dev.earshot.spi.transcript.Word;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vosk.Model;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.earshot.plugins.vosk.SpeechSamples.CHUNK;
import static dev.earshot.plugins.vosk.SpeechSamples.GO_FORWARD_TEXT;
import static dev.earshot.plugins.vosk.SpeechSamples.LIBRIVOX_TEXT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Decodes real speech with the real English model, through one engine shared by the tests. */
class TestVoskRecognizer {

    @TempDir
    static Path folder;

    private static VoskEngine engine;
    private static byte[] goForward;
    private static byte[] librivox;

    @BeforeAll
    static void loadEngine() throws Exception {
        engine = new VoskEngineFactory().create(
                TestPluginContext.engine("vosk", Map.of("model", SpeechSamples.modelFolder().toString()), folder));
        goForward = SpeechSamples.goForward();
        librivox = SpeechSamples.librivox();
    }

    @AfterAll
    static void closeEngine() {
        if (engine != null) {
            engine.close();
        }
    }

    @AfterEach
    void everyRecognizerWasReleased() {
        assertEquals(0, engine.openRecognizers(), "a test left a recognizer open");
    }

    @Test
    void decodesGoForwardWithWordTimings() throws Exception {
        Collector collector = new Collector();
        try (VoskRecognizer recognizer = engine.createRecognizer(SpeechSamples.defaults(), collector)) {
            SpeechSamples.decode(recognizer, goForward);
        }
        List<Hypothesis> finals = collector.finals();
        assertEquals(1, finals.size(), "one utterance: " + finals);
        Hypothesis hypothesis = finals.get(0);
        assertEquals(GO_FORWARD_TEXT, hypothesis.text());
        assertEquals(List.of("go", "forward", "ten", "meters"), hypothesis.words().stream().map(Word::word).toList());
        double duration = SpeechSamples.seconds(goForward);
        double previousEnd = 0;
        double previousStart = -1;
        for (Word word : hypothesis.words()) {
            assertTrue(word.start() > previousStart && word.start() >= previousEnd - 1e-6, "start order: " + word);
            assertTrue(word.end() > word.start() && word.end() <= duration, "end within the audio: " + word);
            assertTrue(word.confidence() >= 0 && word.confidence() <= 1, "confidence in [0,1]: " + word);
            previousStart = word.start();
            previousEnd = word.end();
        }
        assertEquals(List.of(), hypothesis.alternatives());
    }

    @Test
    void decodesLibrivoxSentence() throws Exception {
        double audio = SpeechSamples.seconds(librivox);
        String text = null;
        for (String round : List.of("first", "second")) { // each round on a fresh recognizer
            Collector collector = new Collector();
            long started = System.nanoTime();
            double creating;
            double decoding;
            try (VoskRecognizer recognizer = engine.createRecognizer(SpeechSamples.defaults(), collector)) {
                creating = (System.nanoTime() - started) / 1e9;
                started = System.nanoTime();
                SpeechSamples.decode(recognizer, librivox);
                decoding = (System.nanoTime() - started) / 1e9;
            }
            System.out.printf("vosk: LibriVox clip, %s round: recognizer created in %.2f s, %.2f s of audio decoded "
                            + "in %.2f s (real-time factor %.2f): \"%s\"%n",
                    round, creating, audio, decoding, decoding / audio, collector.text());
            assertTrue(text == null || text.equals(collector.text()), "the same text every time");
            text = collector.text();
        }
        // The small English model hears "an ill" as "a nail" (the same sounds): two of eight words differ.
        int errors = SpeechSamples.wordErrors(LIBRIVOX_TEXT, text);
        assertTrue(errors <= 2, "at most 2 word errors against \"" + LIBRIVOX_TEXT + "\", got " + errors + ": " + text);
        assertTrue(text.startsWith("he was not ") && text.endsWith(" disposed young man"), text);
    }

    @Test
    void givesTheSameTextsAsAPlainVoskLoop() throws Exception {
        try (Model model = new Model(SpeechSamples.modelFolder().toString())) {
            for (byte[] pcm : List.of(goForward, librivox)) {
                List<String> plain = plainVosk(model, pcm, CHUNK);
                Collector collector = new Collector();
                try (VoskRecognizer recognizer = engine.createRecognizer(SpeechSamples.defaults(), collector)) {
                    SpeechSamples.decode(recognizer, pcm);
                }
                assertEquals(plain, collector.finals().stream().map(Hypothesis::text).toList());
            }
        }
    }

    /** Final texts of a plain Vosk loop: every utterance it ends, and the last one when it has text. */
    private static List<String> plainVosk(Model model, byte[] pcm, int chunk) throws Exception {
        Pattern text = Pattern.compile("\"text\"\\s*:\\s*\"([^\"]*)\"");
        List<String> texts = new ArrayList<>();
        try (org.vosk.Recognizer recognizer = new org.vosk.Recognizer(model, 16000f)) {
            recognizer.setWords(true);
            for (int offset = 0; offset < pcm.length; offset += chunk) {
                int length = Math.min(chunk, pcm.length - offset);
                byte[] data = java.util.Arrays.copyOfRange(pcm, offset, offset + length);
                if (recognizer.acceptWaveForm(data, length)) {
                    Matcher matcher = text.matcher(recognizer.getResult());
                    assertTrue(matcher.find());
                    texts.add(matcher.group(1));
                }
            }
            Matcher matcher = text.matcher(recognizer.getFinalResult());
            assertTrue(matcher.find());
            if (!matcher.group(1).isEmpty()) {
                texts.add(matcher.group(1));
            }
        }
        return texts;
    }

    @Test
    void twoRecognizersDecodeConcurrentlyOnOneModel() throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(2);
        CyclicBarrier start = new CyclicBarrier(2);
        try {
            Future<List<String>> first = threads.submit(() -> decodeRepeatedly(goForward, start));
            Future<List<String>> second = threads.submit(() -> decodeRepeatedly(librivox, start));
            assertEquals(List.of(GO_FORWARD_TEXT, GO_FORWARD_TEXT, GO_FORWARD_TEXT),
                    first.get(2, TimeUnit.MINUTES));
            for (String text : second.get(2, TimeUnit.MINUTES)) {
                assertTrue(SpeechSamples.wordErrors(LIBRIVOX_TEXT, text) <= 2, text);
            }
        } finally {
            threads.shutdownNow();
        }
    }

    private static List<String> decodeRepeatedly(byte[] pcm, CyclicBarrier start) throws Exception {
        Collector collector = new Collector();
        List<String> texts = new ArrayList<>();
        try (VoskRecognizer recognizer = engine.createRecognizer(SpeechSamples.defaults(), collector)) {
            start.await(1, TimeUnit.MINUTES);
            for (int round = 0; round < 3; round++) {
                SpeechSamples.decode(recognizer, pcm);
                texts.add(collector.text());
                collector.clear();
            }
        }
        return texts;
    }

    @Test
    void reportsPartialsWithoutRepeats() throws Exception {
        Collector collector = new Collector();
        try (VoskRecognizer recognizer = engine.createRecognizer(SpeechSamples.defaults(), collector)) {
            SpeechSamples.decode(recognizer, goForward);
        }
        List<Hypothesis> partials = collector.partials();
        List<String> texts = partials.stream().map(Hypothesis::text).toList();
        // Vosk 0.3.45 says "go", "go for", "go forward", "go forward ten", "go forward ten meters", over 28 partials.
        assertTrue(texts.contains("go forward"), "partials: " + texts);
        assertEquals(GO_FORWARD_TEXT, texts.get(texts.size() - 1), "partials: " + texts);
        assertNotEquals("", texts.get(0), "the first partial of an utterance is not empty");
        List<Hypothesis> all = collector.all();
        for (int i = 1; i < all.size(); i++) {
            Hypothesis previous = all.get(i - 1);
            Hypothesis current = all.get(i);
            assertFalse(!previous.isFinal() && !current.isFinal() && previous.text().equals(current.text()),
                    "two consecutive identical partials: " + texts);
        }
        assertTrue(partials.stream().allMatch(h -> h.words().isEmpty() && h.alternatives().isEmpty()));
    }

    @Test
    void flushGivesTheFinalAndTheRecognizerGoesOn() throws Exception {
        Collector collector = new Collector();
        try (VoskRecognizer recognizer = engine.createRecognizer(SpeechSamples.defaults(), collector)) {
            recognizer.flush();
            assertEquals(List.of(), collector.all(), "nothing to report before any audio");

            for (AudioFrame frame : SpeechSamples.frames(AudioFormat.SPEECH_16K, goForward, CHUNK)) {
                recognizer.accept(frame);
            }
            assertEquals(List.of(), collector.finals(), "Vosk does not end this utterance by itself");
            recognizer.flush();
            assertEquals(List.of(GO_FORWARD_TEXT), collector.finals().stream().map(Hypothesis::text).toList());
            recognizer.flush();
            assertEquals(1, collector.finals().size(), "a second flush has nothing to report");

            collector.clear();
            SpeechSamples.decode(recognizer, goForward);
            List<Hypothesis> finals = collector.finals();
            assertEquals(List.of(GO_FORWARD_TEXT), finals.stream().map(Hypothesis::text).toList());
            assertFalse(collector.partials().isEmpty(), "partials again after a flush");
            // Word times count from the start of the session's audio, across utterances.
            double first = SpeechSamples.seconds(goForward);
            for (Word word : finals.get(0).words()) {
                assertTrue(word.start() >= first && word.end() <= 2 * first, word.toString());
            }
        }
    }

    @Test
    void acceptReportsEmptyFinalsButFlushDoesNot() throws Exception {
        Collector collector = new Collector();
        try (VoskRecognizer recognizer = engine.createRecognizer(SpeechSamples.defaults(), collector)) {
            byte[] silence = new byte[20 * AudioFormat.SPEECH_16K.bytesPerSecond()];
            for (AudioFrame frame : SpeechSamples.frames(AudioFormat.SPEECH_16K, silence, CHUNK)) {
                recognizer.accept(frame);
            }
            List<Hypothesis> finals = collector.finals();
            assertFalse(finals.isEmpty(), "Vosk ends long silences as empty utterances");
            assertTrue(finals.stream().allMatch(h -> h.text().isEmpty()), finals.toString());
            assertEquals(List.of(), collector.partials(), "no partial for silence");
            collector.clear();
            recognizer.flush();
            assertEquals(List.of(), collector.all(), "flush reports no empty final");
        }
    }

    @Test
    void growsItsBufferForLargeFramesAndIgnoresEmptyOnes() throws Exception {
        Collector collector = new Collector();
        try (VoskRecognizer recognizer = engine.createRecognizer(SpeechSamples.defaults(), collector)) {
            recognizer.accept(AudioFrame.copyOf(AudioFormat.SPEECH_16K, new byte[0], 0, 0, 0, Instant.now()));
            for (AudioFrame frame : SpeechSamples.frames(AudioFormat.SPEECH_16K, goForward, 32_000)) {
                recognizer.accept(frame);
            }
            recognizer.flush();
        }
        assertEquals(GO_FORWARD_TEXT, collector.text());
    }

    @Test
    void closeIsIdempotentAndReleasesTheRecognizer() throws Exception {
        Collector collector = new Collector();
        VoskRecognizer first = engine.createRecognizer(SpeechSamples.defaults(), collector);
        VoskRecognizer second = engine.createRecognizer(SpeechSamples.defaults(), collector);
        assertEquals(2, engine.openRecognizers());
        first.close();
        first.close();
        assertEquals(1, engine.openRecognizers());
        second.close();
        assertEquals(0, engine.openRecognizers());
        AudioFrame frame = SpeechSamples.frames(AudioFormat.SPEECH_16K, goForward, CHUNK).get(10);
        assertThrows(IllegalStateException.class, () -> first.accept(frame));
        assertThrows(IllegalStateException.class, first::flush);
        assertEquals(List.of(), collector.all());
    }

    @Test
    void noListenerCallAfterCloseFromAnotherThread() throws Exception {
        AtomicBoolean closeReturned = new AtomicBoolean();
        AtomicInteger lateCalls = new AtomicInteger();
        AtomicInteger calls = new AtomicInteger();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        VoskRecognizer recognizer = engine.createRecognizer(SpeechSamples.defaults(), hypothesis -> {
            calls.incrementAndGet();
            if (closeReturned.get()) {
                lateCalls.incrementAndGet();
            }
        });
        List<AudioFrame> frames = SpeechSamples.frames(AudioFormat.SPEECH_16K, goForward, 320);
        Thread decoder = new Thread(() -> {
            try {
                while (true) {
                    for (AudioFrame frame : frames) {
                        recognizer.accept(frame);
                    }
                }
            } catch (IllegalStateException closed) {
                // expected once the recognizer is closed
            } catch (Exception | Error e) {
                failure.set(e);
            }
        }, "decoder");
        decoder.start();
        while (calls.get() < 3 && decoder.isAlive()) {
            Thread.onSpinWait();
        }
        recognizer.close();
        closeReturned.set(true);
        decoder.join(TimeUnit.SECONDS.toMillis(30));
        assertFalse(decoder.isAlive());
        assertNull(failure.get());
        assertEquals(0, lateCalls.get());
        assertEquals(0, engine.openRecognizers());
    }

    @Test
    void phrasesRestrictTheOutput() throws Exception {
        Collector collector = new Collector();
        try (VoskRecognizer recognizer = engine.createRecognizer(
                SpeechSamples.options(true, 0, List.of("go forward ten meters", "turn left")), collector)) {
            SpeechSamples.decode(recognizer, goForward);
        }
        assertEquals(GO_FORWARD_TEXT, collector.text());

        collector.clear();
        try (VoskRecognizer recognizer = engine.createRecognizer(
                SpeechSamples.options(true, 0, List.of("turn left", "go back")), collector)) {
            SpeechSamples.decode(recognizer, goForward);
        }
        Set<String> allowed = Set.of("turn", "left", "go", "back", "[unk]");
        String text = collector.text();
        assertFalse(text.isEmpty());
        for (String word : text.split(" ")) {
            assertTrue(allowed.contains(word), "\"" + word + "\" is outside the phrase list: " + text);
        }
    }

    @Test
    void alternativesAndNoWords() throws Exception {
        Collector collector = new Collector();
        RecognizerOptions nBest = SpeechSamples.options(true, 3, List.of());
        try (VoskRecognizer recognizer = engine.createRecognizer(nBest, collector)) {
            SpeechSamples.decode(recognizer, goForward);
        }
        Hypothesis hypothesis = collector.finals().get(0);
        assertEquals(GO_FORWARD_TEXT, hypothesis.text());
        assertFalse(hypothesis.alternatives().isEmpty());
        assertTrue(hypothesis.alternatives().size() <= 3);
        Alternative best = hypothesis.alternatives().get(0);
        assertEquals(GO_FORWARD_TEXT, best.text());
        assertEquals(best.words(), hypothesis.words());
        assertEquals(4, best.words().size());

        collector.clear();
        RecognizerOptions noWords = SpeechSamples.options(false, 0, List.of());
        try (VoskRecognizer recognizer = engine.createRecognizer(noWords, collector)) {
            SpeechSamples.decode(recognizer, goForward);
        }
        assertEquals(List.of(new Hypothesis(true, GO_FORWARD_TEXT, List.of(), List.of())), collector.finals());
    }

    @Test
    void rejectsFramesInAnotherFormat() throws Exception {
        Collector collector = new Collector();
        try (VoskRecognizer recognizer = engine.createRecognizer(SpeechSamples.defaults(), collector)) {
            AudioFormat narrow = new AudioFormat(8000, 1);
            AudioFormat stereo = new AudioFormat(16000, 2);
            for (AudioFormat format : List.of(narrow, stereo)) {
                AudioFrame frame = AudioFrame.copyOf(format, goForward, 0, 3200, 0, Instant.now());
                IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                        () -> recognizer.accept(frame));
                assertTrue(error.getMessage().contains(format.toString())
                        && error.getMessage().contains(AudioFormat.SPEECH_16K.toString()), error.getMessage());
            }
            SpeechSamples.decode(recognizer, goForward);
        }
        assertEquals(GO_FORWARD_TEXT, collector.text(), "still usable after a rejected frame");
    }
}
