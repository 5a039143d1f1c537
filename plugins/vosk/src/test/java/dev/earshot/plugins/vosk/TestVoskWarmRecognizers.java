package dev.earshot.plugins.vosk;

import dev.earshot.conformance.TestPluginContext;
import dev.earshot.spi.PluginException;
import dev.earshot.spi.audio.AudioFormat;
import dev.earshot.spi.engine.EngineStat;
import dev.earshot.spi.transcript.Hypothesis;
import dev.earshot.spi.transcript.Word;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Recognizers kept warm between sessions: the same words as from a new recognizer, word times on the new session's
 * clock, never kept with a grammar or after a failure, bounded, freed when unused and when the engine closes.
 */
class TestVoskWarmRecognizers {

    @TempDir
    Path folder;

    private VoskEngine engine(Map<String, String> options) {
        Map<String, String> all = new HashMap<>(options);
        all.put("model", SpeechSamples.modelFolder().toString());
        return new VoskEngineFactory().create(TestPluginContext.engine("vosk", all, folder));
    }

    private static List<byte[]> clips() throws IOException {
        List<byte[]> clips = new ArrayList<>();
        try (Stream<Path> files = Files.list(SpeechSamples.DATA.resolve("librivox"))) {
            for (Path file : files.filter(f -> f.toString().endsWith(".wav")).sorted().toList()) {
                clips.add(SpeechSamples.wavPcm(file, AudioFormat.SPEECH_16K));
            }
        }
        return clips;
    }

    private static List<Hypothesis> session(VoskEngine engine, byte[] pcm, boolean words, List<String> phrases) throws Exception {
        Collector collector = new Collector();
        try (VoskRecognizer recognizer = engine.createRecognizer(SpeechSamples.options(words, 0, phrases), collector)) {
            SpeechSamples.decode(recognizer, pcm);
        }
        return collector.finals();
    }

    @Test
    void aKeptRecognizerGivesTheSameWordsWithTimesOnTheNewSessionsClock() throws Exception {
        List<byte[]> clips = clips();
        List<List<Hypothesis>> fresh = new ArrayList<>();
        VoskEngine cold = engine(Map.of("warm-recognizers", "0"));
        try {
            for (byte[] clip : clips) {
                fresh.add(session(cold, clip, true, List.of()));
            }
            assertEquals(0, cold.warmRecognizers());
            assertEquals(0, cold.warmStarts());
            assertEquals(clips.size(), cold.coldStarts());
        } finally {
            cold.close();
        }

        VoskEngine engine = engine(Map.of("warm-recognizers", "1"));
        try {
            // Every clip after the first runs on the recognizer the one before used: its Vosk clock is seconds ahead.
            for (int i = 0; i < clips.size(); i++) {
                List<Hypothesis> kept = session(engine, clips.get(i), true, List.of());
                assertEquals(fresh.get(i).stream().map(Hypothesis::text).toList(), kept.stream().map(Hypothesis::text).toList(),
                        "clip " + i + ": the same text as from a new recognizer");
                List<Word> expected = fresh.get(i).stream().flatMap(h -> h.words().stream()).toList();
                List<Word> actual = kept.stream().flatMap(h -> h.words().stream()).toList();
                assertEquals(expected.size(), actual.size(), "clip " + i + ": " + actual);
                for (int w = 0; w < expected.size(); w++) {
                    Word want = expected.get(w);
                    Word got = actual.get(w);
                    assertEquals(want.word(), got.word());
                    // Within one decoder frame (30 ms): the composed graph's state numbering may break a tie another way.
                    assertEquals(want.start(), got.start(), 0.0301, "clip " + i + " '" + got.word() + "' start");
                    assertEquals(want.end(), got.end(), 0.0301, "clip " + i + " '" + got.word() + "' end");
                }
                assertEquals(1, engine.warmRecognizers(), "kept after the session");
            }
            assertEquals(clips.size() - 1, engine.warmStarts(), "every session after the first started warm");
            assertEquals(1, engine.coldStarts());
            assertEquals(0, engine.openRecognizers());
            // What /q/metrics shows of the pool (the host exports stats() as earshot_engine_*).
            Map<String, Double> stats = engine.stats().stream()
                    .collect(Collectors.toMap(EngineStat::name, s -> s.value().getAsDouble()));
            assertEquals(Map.of("recognizers.kept", 1.0, "recognizers.reused", (double) clips.size() - 1,
                    "recognizers.created", 1.0), stats);
            assertEquals(List.of(false, true, true), engine.stats().stream().map(EngineStat::counter).toList(),
                    "kept is a gauge, reused and created are counters");
        } finally {
            engine.close();
        }
        assertEquals(0, engine.warmRecognizers(), "closing the engine frees what it kept");
    }

    @Test
    void keptOnlyUpToTheLimitNeverWithAGrammarNorAfterAFailure() throws Exception {
        byte[] speech = SpeechSamples.goForward();
        VoskEngine engine = engine(Map.of("warm-recognizers", "2"));
        try {
            // Three at once: two are kept when they end, the third is freed.
            Collector collector = new Collector();
            List<VoskRecognizer> open = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                open.add(engine.createRecognizer(SpeechSamples.defaults(), collector));
            }
            assertEquals(3, engine.openRecognizers());
            for (VoskRecognizer recognizer : open) {
                SpeechSamples.decode(recognizer, speech);
                recognizer.close();
            }
            assertEquals(2, engine.warmRecognizers());
            assertEquals(3, engine.coldStarts());

            // A grammar session never takes a kept recognizer and is never kept.
            List<Hypothesis> finals = session(engine, speech, false, List.of("go forward ten meters", "go back"));
            assertEquals(SpeechSamples.GO_FORWARD_TEXT, finals.get(finals.size() - 1).text());
            assertEquals(2, engine.warmRecognizers());
            assertEquals(4, engine.coldStarts());
            assertEquals(0, engine.warmStarts());

            // A session whose listener failed: its recognizer's state is unknown, so it is freed, not kept.
            VoskRecognizer failing = engine.createRecognizer(SpeechSamples.defaults(), hypothesis -> {
                if (hypothesis.isFinal()) {
                    throw new IllegalStateException("listener failed");
                }
            });
            assertEquals(1, engine.warmRecognizers(), "one kept recognizer was taken");
            assertThrows(IllegalStateException.class, () -> SpeechSamples.decode(failing, speech));
            failing.close();
            assertEquals(1, engine.warmRecognizers(), "not kept after the failure");
            assertEquals(0, engine.openRecognizers());
        } finally {
            engine.close();
        }
    }

    @Test
    void aKeptRecognizerIsFreedWhenUnusedForWarmFor() throws Exception {
        VoskEngine engine = engine(Map.of("warm-for", "400ms"));
        try {
            session(engine, SpeechSamples.goForward(), false, List.of());
            assertEquals(1, engine.warmRecognizers());
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (engine.warmRecognizers() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertEquals(0, engine.warmRecognizers(), "freed after warm-for");
            assertTrue(Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().startsWith("earshot-vosk-warm-")),
                    "the sweep's thread runs while the engine is open");
            // A later session starts cold again and is kept again.
            session(engine, SpeechSamples.goForward(), false, List.of());
            assertEquals(2, engine.coldStarts());
            assertEquals(1, engine.warmRecognizers());
        } finally {
            engine.close();
        }
        assertTrue(Thread.getAllStackTraces().keySet().stream().noneMatch(t -> t.isAlive() && t.getName().startsWith("earshot-vosk-warm-")),
                "no sweep thread left after the engine closed");
    }

    @Test
    void badSettingsNameTheKey() {
        PluginException negative = assertThrows(PluginException.class, () -> engine(Map.of("warm-recognizers", "-1")));
        assertTrue(negative.getMessage().contains("warm-recognizers"), negative.getMessage());
        PluginException zero = assertThrows(PluginException.class, () -> engine(Map.of("warm-for", "0s")));
        assertTrue(zero.getMessage().contains("warm-for"), zero.getMessage());
    }
}
