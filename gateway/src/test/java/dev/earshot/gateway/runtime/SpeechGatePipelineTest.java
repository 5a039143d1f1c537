package dev.earshot.gateway.runtime;

import dev.earshot.gateway.SpeechFixtures;
import dev.earshot.gateway.plugin.PluginRegistry;
import dev.earshot.gateway.session.Session;
import dev.earshot.gateway.session.SessionListener;
import dev.earshot.gateway.session.SessionRequest;
import dev.earshot.gateway.session.SpeechFeed;
import dev.earshot.gateway.settings.PipelineSettings;
import dev.earshot.gateway.speech.SpeechGateMode;
import dev.earshot.spi.audio.AudioFormat;
import dev.earshot.spi.audio.AudioFrame;
import dev.earshot.spi.source.Pacing;
import dev.earshot.spi.source.SessionOutcome;
import dev.earshot.spi.transcript.TranscriptEvent;
import dev.earshot.spi.transcript.Word;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import javax.sound.sampled.AudioSystem;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The speech gate in a running pipeline with the real Vosk engine: a stream of LibriVox speech between stretches of
 * pink-noise room tone is decoded gated and ungated side by side. Gated, the room tone is never decoded (counted in
 * the metrics), the same words come out, and word times are on the stream's clock.
 */
class SpeechGatePipelineTest {

    private Vertx vertx;
    private GatewayRuntime runtime;
    private SimpleMeterRegistry registry;

    @BeforeEach
    void setUp() {
        vertx = Vertx.vertx();
        registry = new SimpleMeterRegistry();
        Map<String, PipelineSettings> pipelines = Map.of(
                "gated", new PipelineSettings("gated", true, Optional.empty(), "vosk", List.of(), List.of(), 50, 4, SpeechGateMode.AUTO),
                "whole", new PipelineSettings("whole", true, Optional.empty(), "vosk", List.of(), List.of(), 50, 4, SpeechGateMode.OFF));
        runtime = new GatewayRuntime(vertx, registry, TestRuntimes.settings(SpeechFeed.home(), pipelines, Map.of(), 2),
                PluginRegistry.load(getClass().getClassLoader()));
        runtime.start();
    }

    @AfterEach
    void tearDown() throws Exception {
        runtime.stop();
        vertx.close().toCompletionStage().toCompletableFuture().get();
    }

    /** Feeds 16 kHz PCM in 100 ms frames as one paced session of {@code origin}; its finals. */
    private List<TranscriptEvent> decode(String pipeline, String origin, byte[] pcm) throws Exception {
        List<TranscriptEvent> finals = new CopyOnWriteArrayList<>();
        CompletableFuture<SessionOutcome> heard = new CompletableFuture<>();
        Session session = runtime.pipeline(pipeline).orElseThrow().openSession(new SessionRequest(origin,
                AudioFormat.SPEECH_16K, Pacing.PACED, Map.of(), true, 0, List.of(), new SessionListener() {
            @Override
            public void onTranscript(TranscriptEvent event) {
                if (event.isFinal()) {
                    finals.add(event);
                }
            }

            @Override
            public void onClosed(SessionOutcome reason) {
                heard.complete(reason);
            }
        }, null));
        for (int offset = 0, f = 0; offset < pcm.length; offset += 3200, f++) {
            session.put(AudioFrame.copyOf(AudioFormat.SPEECH_16K, pcm, offset, Math.min(3200, pcm.length - offset), f, Instant.now()));
        }
        session.end();
        session.closed().toCompletableFuture().get(120, TimeUnit.SECONDS);
        heard.get(10, TimeUnit.SECONDS);
        return finals;
    }

    private static byte[] pcm(Path wav) throws Exception {
        try (var in = AudioSystem.getAudioInputStream(wav.toFile())) {
            return in.readAllBytes();
        }
    }

    private double counter(String name, String pipeline) {
        var counter = registry.find(name).tag("pipeline", pipeline).functionCounter();
        return counter == null ? 0 : counter.count();
    }

    @Test
    void roomToneBetweenSpeechIsNotDecodedAndTheWordsAndTheirTimesStay() throws Exception {
        List<String> clips = new ArrayList<>(SpeechFixtures.librivoxReferences().keySet()).subList(0, 3);
        Path tone = SpeechFixtures.sox("gate-pipeline-pink-35-20s.wav", "-n", "-r", "16000", "-c", "1", "-b", "16", "OUT",
                "synth", "20", "pinknoise", "gain", "-n", "-35");
        List<String> parts = new ArrayList<>(List.of(tone.toString()));
        for (String clip : clips) {
            parts.add(SpeechFixtures.LIBRIVOX.resolve(clip).toString());
            parts.add(tone.toString());
        }
        parts.add("OUT");
        Path stream = SpeechFixtures.sox("gate-pipeline-stream.wav", parts.toArray(String[]::new));
        byte[] pcm = pcm(stream);
        double seconds = pcm.length / 32000.0;

        List<TranscriptEvent> whole = decode("whole", "vosk:test", pcm);
        List<TranscriptEvent> gated = decode("gated", "vosk:test", pcm);

        String reference = String.join(" ", clips.stream().map(c -> SpeechFixtures.librivoxReferences().get(c)).toList());
        String wholeText = String.join(" ", whole.stream().map(TranscriptEvent::text).toList());
        String gatedText = String.join(" ", gated.stream().map(TranscriptEvent::text).toList());
        int wholeErrors = SpeechFixtures.wordErrors(reference, wholeText);
        int gatedErrors = SpeechFixtures.wordErrors(reference, gatedText);
        System.out.printf("speech gate over %.0f s (%d words of speech, 80 s of pink noise at -35 dBFS): word errors ungated %d,"
                        + " gated %d; audio kept from the recognizer %.1f s; detector %.2f s%n", seconds,
                SpeechFixtures.words(reference), wholeErrors, gatedErrors,
                counter("earshot.speech.gate.saved.audio.seconds", "gated"),
                counter("earshot.speech.gate.detector.seconds", "gated"));
        assertTrue(gatedErrors <= wholeErrors + 1, "at most one more word error gated: " + gatedText + " / " + wholeText);
        double saved = counter("earshot.speech.gate.saved.audio.seconds", "gated");
        assertTrue(saved >= 80 - 4 * 1.5, "the room tone (80 s, less pre-rolls and hang-overs) is not decoded: " + saved);
        assertEquals(0, counter("earshot.speech.gate.saved.audio.seconds", "whole"), "speech-gate=off decodes everything");
        assertTrue(counter("earshot.speech.gate.frames.gated", "gated") >= saved * 10 - 1, "frames counted too");

        // Word times are on the stream's clock: the same words start and end where ungated decoding puts them.
        List<Word> wholeWords = whole.stream().flatMap(e -> e.words().stream()).toList();
        List<Word> gatedWords = gated.stream().flatMap(e -> e.words().stream()).toList();
        int compared = 0;
        for (Word word : gatedWords) {
            Word match = wholeWords.stream().filter(w -> w.word().equals(word.word())
                    && Math.abs(w.start() - word.start()) < 1.0).findFirst().orElse(null);
            if (match != null) {
                compared++;
                assertEquals(match.start(), word.start(), 0.05, "start of '" + word.word() + "'");
                assertEquals(match.end(), word.end(), 0.05, "end of '" + word.word() + "'");
            }
        }
        // A gated word can be compared only where ungated decoding found the same word. The room tone turns some
        // ungated words into others ("her less" for "unless"): while sox drew new noise each run (before -R), a CI run
        // had 7 ungated errors and 4 gated words with no ungated match. So as many gated words as ungated decoding got
        // wrong, and at least 3, may go unmatched; every matched one must be within 50 ms (above).
        int unmatchedAllowed = Math.max(3, wholeErrors);
        assertTrue(compared >= gatedWords.size() - unmatchedAllowed, "nearly every gated word found ungated at its time: "
                + compared + " of " + gatedWords.size() + " (ungated has " + wholeErrors + " word errors: " + wholeText + ")");
        assertTrue(gatedWords.get(0).start() > 19, "the first word is after the first 20 s of room tone: " + gatedWords.get(0));
    }

    @Test
    void autoGatesLiveOriginsOnlyAndRoomToneAloneGivesNoTranscript() throws Exception {
        Path tone = SpeechFixtures.sox("gate-pipeline-pink-50-30s.wav", "-n", "-r", "16000", "-c", "1", "-b", "16", "OUT",
                "synth", "30", "pinknoise", "gain", "-n", "-50");
        byte[] pcm = pcm(tone);
        assertEquals(List.of(), decode("gated", "wyoming:test", pcm), "room tone gives no final");
        double saved = counter("earshot.speech.gate.saved.audio.seconds", "gated");
        assertTrue(saved >= 29.5, "a Wyoming client's room tone is kept from the recognizer: " + saved);
        decode("gated", "upload:test", pcm);
        assertEquals(saved, counter("earshot.speech.gate.saved.audio.seconds", "gated"), 0.001, "an upload is decoded whole");
    }
}
