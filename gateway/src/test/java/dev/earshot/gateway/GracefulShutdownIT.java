package dev.earshot.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * SIGTERM to the packaged gateway in the middle of a long upload: readiness goes DOWN, new uploads get 503, the
 * upload in flight is transcribed to the end (or, when the drain time is too short for that, ended early with its
 * finals still delivered to the sink), the process exits 0 within the drain time leaving no process or gateway
 * thread behind, and a new instance starts on the same port right after.
 */
class GracefulShutdownIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    /**
     * Rounds of the clips in the upload cut short by a 4 s drain: 100 s of speech, which decoding at 1/30 of real
     * time (far faster than these machines) still could not finish in the 1.6 s the drain leaves it.
     */
    private static final int LONG_ROUNDS = 4;

    @TempDir
    Path workDir;

    private final List<PackagedGateway> launched = new ArrayList<>();

    @AfterEach
    void killLeftovers() {
        launched.forEach(g -> g.process.destroyForcibly());
    }

    @Test
    void sigtermDrainsTheUploadInFlightExitsZeroAndFreesThePort() throws Exception {
        Map<String, String> references = SpeechFixtures.librivoxReferences();
        List<String> clips = references.keySet().stream().map(c -> SpeechFixtures.LIBRIVOX.resolve(c).toString()).toList();
        String reference = String.join(" ", references.values());
        // Every LibriVox clip, one after the other (about 25 s of speech), and all of that four times (100 s).
        List<String> once = new ArrayList<>(clips);
        once.add("OUT");
        Path speech = SpeechFixtures.sox("librivox-all.wav", once.toArray(String[]::new));
        List<String> fourTimes = new ArrayList<>();
        for (int round = 0; round < LONG_ROUNDS; round++) {
            fourTimes.addAll(clips);
        }
        fourTimes.add("OUT");
        Path longSpeech = SpeechFixtures.sox("librivox-all-4x.wav", fourTimes.toArray(String[]::new));
        int port = PackagedGateway.freePort();

        // 1. A generous drain time: the upload in flight is transcribed to its end and answered in full.
        Path transcripts = workDir.resolve("first.jsonl");
        PackagedGateway first = start(port, transcripts, "60s");
        List<ProcessHandle> children = first.process.descendants().toList();
        CompletableFuture<HttpResponse<String>> inFlight = first.client.sendAsync(first.upload(speech),
                HttpResponse.BodyHandlers.ofString());
        awaitFirstFinal(first, transcripts);
        long signalled = System.nanoTime();
        first.process.destroy(); // SIGTERM

        assertEquals(503, awaitStatus(first, "/q/health/ready", 503), "readiness DOWN during the drain");
        HttpResponse<String> refused = first.client.send(first.upload(SpeechFixtures.LIBRIVOX.resolve(
                "sense_and_sensibility_01_austen_64kb-0930.wav")), HttpResponse.BodyHandlers.ofString());
        assertEquals(503, refused.statusCode(), refused.body());
        assertTrue(refused.body().contains("the gateway is shutting down"), refused.body());
        assertEquals("5", refused.headers().firstValue("Retry-After").orElse(""), "a refused upload may retry elsewhere");

        HttpResponse<String> answer = inFlight.get(60, TimeUnit.SECONDS);
        assertEquals(200, answer.statusCode(), answer.body());
        JsonNode transcript = JSON.readTree(answer.body());
        String text = transcript.get("text").asText();
        int errors = SpeechFixtures.wordErrors(reference, text);
        assertTrue(errors * 100 <= SpeechFixtures.words(reference) * 10,
                "the whole upload transcribed (" + errors + " word errors):\n" + text + "\nreference:\n" + reference);
        assertTrue(first.process.waitFor(60, TimeUnit.SECONDS), "exited after the drain; log:\n" + first.output());
        long drainMillis = (System.nanoTime() - signalled) / 1_000_000;
        assertEquals(0, first.process.exitValue(), "exit status after SIGTERM; log:\n" + first.output());
        // Within the drain time (60 s), plus the JVM's own start of shutdown and exit.
        assertTrue(drainMillis < 65_000, "exited " + drainMillis + " ms after SIGTERM");
        List<JsonNode> finals = finals(transcripts, transcript.get("session").asText());
        assertEquals(text, String.join(" ", finals.stream().map(f -> f.get("text").asText()).toList()),
                "the sink got every final the upload's answer has");
        assertNothingLeft(first, children);

        // 2. Right after, on the same port; a drain time too short for the whole upload: it is ended early, the
        //    client learns that (503), and the finals of what was decoded still reach the sink.
        Path shortTranscripts = workDir.resolve("second.jsonl");
        PackagedGateway second = start(port, shortTranscripts, "4s", "-Dearshot.pipelines.default.frame-queue=10");
        CompletableFuture<HttpResponse<String>> cut = second.client.sendAsync(second.upload(longSpeech),
                HttpResponse.BodyHandlers.ofString());
        awaitSession(second);
        signalled = System.nanoTime();
        second.process.destroy();
        HttpResponse<String> cutAnswer = cut.get(30, TimeUnit.SECONDS);
        assertEquals(503, cutAnswer.statusCode(), cutAnswer.body());
        assertTrue(cutAnswer.body().contains("stopped before the upload was transcribed"), cutAnswer.body());
        assertTrue(second.process.waitFor(30, TimeUnit.SECONDS), "exited after the drain; log:\n" + second.output());
        drainMillis = (System.nanoTime() - signalled) / 1_000_000;
        assertEquals(0, second.process.exitValue(), "exit status after SIGTERM; log:\n" + second.output());
        // 4 s of drain, up to 3 s for responses being written (quarkus.shutdown.timeout), JVM exit: far less than
        // the whole upload would take, with room for a loaded machine.
        assertTrue(drainMillis < 12_000, "exited " + drainMillis + " ms after SIGTERM with a 4 s drain time");
        List<String> lines = Files.readAllLines(shortTranscripts);
        String session = JSON.readTree(lines.get(0)).get("session").asText();
        List<JsonNode> cutFinals = finals(shortTranscripts, session);
        assertFalse(cutFinals.isEmpty(), "finals of the upload reached the sink: " + lines);
        String cutText = String.join(" ", cutFinals.stream().map(f -> f.get("text").asText()).toList());
        int cutWords = SpeechFixtures.words(cutText);
        String longReference = String.join(" ", java.util.Collections.nCopies(LONG_ROUNDS, reference));
        String referenceStart = String.join(" ", List.of(longReference.split(" ")).subList(0, Math.min(cutWords, SpeechFixtures.words(longReference))));
        assertTrue(SpeechFixtures.wordErrors(referenceStart, cutText) * 5 <= cutWords,
                "the finals are the start of the speech: " + cutText);
        assertTrue(cutWords < SpeechFixtures.words(longReference) * 3 / 4,
                "the upload was ended early, not transcribed in full: " + cutText);
        assertNothingLeft(second, List.of());
    }

    private PackagedGateway start(int port, Path transcripts, String drain, String... extra) throws Exception {
        List<String> options = new ArrayList<>(List.of(
                "-Dearshot.runtime.drain-timeout=" + drain,
                "-Dearshot.sinks.transcripts.type=jsonl",
                "-Dearshot.sinks.transcripts.path=" + transcripts,
                "-Dearshot.pipelines.default.sinks=log,transcripts"));
        options.addAll(List.of(extra));
        Path log = workDir.resolve(transcripts.getFileName() + ".log");
        PackagedGateway gateway = PackagedGateway.launch(workDir, log, port, options.toArray(String[]::new));
        launched.add(gateway);
        assertEquals(200, gateway.awaitReady(Duration.ofSeconds(60)), "ready within 60 s; log:\n" + gateway.output());
        return gateway;
    }

    /** Waits until the sink has a final: the upload is streaming. */
    private static void awaitFirstFinal(PackagedGateway gateway, Path transcripts) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.exists(transcripts) && Files.readString(transcripts).contains("\"type\":\"final\"")) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no final within 60 s; log:\n" + gateway.output());
    }

    /** Waits until the upload's session is open: it is streaming. */
    private static void awaitSession(PackagedGateway gateway) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            String sessions = gateway.client.send(gateway.request("/api/sessions").build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            if (sessions.contains("api:transcribe")) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no session within 60 s; log:\n" + gateway.output());
    }

    private static int awaitStatus(PackagedGateway gateway, String path, int expected) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        int status = gateway.status(path);
        while (status != expected && System.nanoTime() < deadline) {
            Thread.sleep(20);
            status = gateway.status(path);
        }
        return status;
    }

    private static List<JsonNode> finals(Path transcripts, String session) throws IOException {
        List<JsonNode> finals = new ArrayList<>();
        for (String line : Files.readAllLines(transcripts)) {
            JsonNode event = JSON.readTree(line);
            if (event.get("type").asText().equals("final") && event.get("session").asText().equals(session)) {
                finals.add(event);
            }
        }
        return finals;
    }

    private static void assertNothingLeft(PackagedGateway gateway, List<ProcessHandle> children) throws IOException {
        String output = gateway.output();
        assertTrue(output.contains("SIGTERM: readiness DOWN, new sessions refused"), output);
        assertTrue(output.contains("gateway threads left: none"), output);
        assertFalse(gateway.process.toHandle().isAlive());
        children.forEach(child -> assertFalse(child.isAlive(), "child process " + child.pid() + " left"));
        assertFalse(ProcessHandle.allProcesses().anyMatch(p -> p.parent().map(parent -> parent.pid() == gateway.process.pid())
                .orElse(false)), "no process of the gateway left");
    }
}
