package dev.earshot.gateway.protocol;

import dev.earshot.gateway.SpeechFixtures;
import dev.earshot.gateway.protocol.voskserver.VoskEndpoint;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The vosk-server WebSocket endpoint with a vosk-server client that is not Earshot code, on real speech. */
@QuarkusTest
class VoskEndpointTest {

    /** What vosk-server's example clients and many others send: 8000 bytes (250 ms at 16 kHz). */
    private static final int CHUNK = 8000;

    @Inject
    VoskEndpoint endpoint;

    @Inject
    dev.earshot.gateway.Gateway gateway;

    private String uri() {
        return "ws://127.0.0.1:" + endpoint.port() + "/";
    }

    /** The text of every final reply ({"text": ...}), joined. */
    private static long pcmBytes(Path wav) throws Exception {
        try (var in = new java.io.BufferedInputStream(Files.newInputStream(wav))) {
            return dev.earshot.audio.Wav.readHeader(in).pcm16Length();
        }
    }

    @Test
    void librivoxStreamedFasterThanRealTimeMatchesTheReference() throws Exception {
        SpeechFixtures.WerTally tally = new SpeechFixtures.WerTally("transcript (vosk-server WebSocket, 8000-byte chunks, streamed)");
        for (Map.Entry<String, String> clip : SpeechFixtures.librivoxReferences().entrySet()) {
            Path wav = SpeechFixtures.LIBRIVOX.resolve(clip.getKey());
            List<JsonObject> replies = ThirdPartyClients.run("vosk_client.py", uri(), "stream", String.valueOf(CHUNK),
                    "{\"config\": {\"sample_rate\": 16000}}", wav.toString());
            JsonObject closed = replies.remove(replies.size() - 1);
            assertEquals(1000, closed.getInteger("closed"), "server closes normally after eof: " + replies);
            long messages = (pcmBytes(wav) + CHUNK - 1) / CHUNK;
            assertEquals(messages + 1, replies.size(), "one reply per audio message, one for eof: " + replies);
            assertTrue(replies.get(replies.size() - 1).containsKey("text"), "eof gets a final: " + replies);
            for (JsonObject reply : replies) {
                assertTrue(reply.containsKey("partial") || reply.containsKey("text"), "vosk-server shapes only: " + reply);
            }
            tally.add(clip.getKey(), clip.getValue(), ThirdPartyClients.voskFinals(replies));
        }
        System.out.print(tally.report("LibriVox through the vosk-server endpoint"));
        assertTrue(tally.wer() <= 10.0, "WER " + tally.wer() + "% above 10%");
    }

    @Test
    void lockstepClientWithResetGetsEachClipsFinalAndWordTimings() throws Exception {
        List<Map.Entry<String, String>> clips = new ArrayList<>(SpeechFixtures.librivoxReferences().entrySet());
        Path first = SpeechFixtures.LIBRIVOX.resolve(clips.get(0).getKey());
        Path second = SpeechFixtures.LIBRIVOX.resolve(clips.get(1).getKey());
        List<JsonObject> replies = ThirdPartyClients.run("vosk_client.py", uri(), "lockstep", String.valueOf(CHUNK),
                "{\"config\": {\"sample_rate\": 16000, \"words\": true}}", first.toString(), second.toString());
        assertEquals(1000, replies.remove(replies.size() - 1).getInteger("closed"));
        long firstMessages = (pcmBytes(first) + CHUNK - 1) / CHUNK;
        long secondMessages = (pcmBytes(second) + CHUNK - 1) / CHUNK;
        assertEquals(firstMessages + 1 + secondMessages + 1, replies.size(), "one reply per message: " + replies);
        JsonObject reset = replies.get((int) firstMessages);
        assertTrue(reset.containsKey("text"), "reset answers with a final: " + reset);
        String firstText = ThirdPartyClients.voskFinals(replies.subList(0, (int) firstMessages + 1));
        String secondText = ThirdPartyClients.voskFinals(replies.subList((int) firstMessages + 1, replies.size()));
        int e1 = SpeechFixtures.wordErrors(clips.get(0).getValue(), firstText);
        int e2 = SpeechFixtures.wordErrors(clips.get(1).getValue(), secondText);
        System.out.printf("vosk lockstep with reset: clip 1 %d errors (%s), clip 2 %d errors (%s)%n", e1, firstText, e2, secondText);
        assertTrue(e1 <= 2 && e2 <= 2, "each side of the reset keeps its own words: [" + firstText + "] [" + secondText + "]");
        for (JsonObject reply : replies) {
            JsonArray result = reply.getJsonArray("result");
            if (result != null) {
                for (Object w : result) {
                    JsonObject word = (JsonObject) w;
                    assertEquals(List.of("conf", "end", "start", "word"), List.copyOf(word.fieldNames()), "vosk word shape " + word);
                    assertTrue(word.getDouble("end") >= word.getDouble("start"));
                }
            }
        }
        assertTrue(replies.stream().anyMatch(r -> r.containsKey("result")), "words were asked for: " + replies);
    }

    @Test
    void eightKilohertzClientOnTheHttpPortPath() throws Exception {
        Map.Entry<String, String> clip = SpeechFixtures.librivoxReferences().entrySet().iterator().next();
        Path wav = SpeechFixtures.sox("vosk-8k-" + clip.getKey(), SpeechFixtures.LIBRIVOX.resolve(clip.getKey()).toString(),
                "-r", "8000", "OUT");
        List<JsonObject> replies = ThirdPartyClients.run("vosk_client.py",
                "ws://127.0.0.1:" + RestAssured.port + VoskEndpoint.PATH, "stream", "4000",
                "{\"config\": {\"sample_rate\": 8000, \"words\": false}}", wav.toString());
        assertEquals(1000, replies.remove(replies.size() - 1).getInteger("closed"));
        String text = ThirdPartyClients.voskFinals(replies);
        int errors = SpeechFixtures.wordErrors(clip.getValue(), text);
        System.out.printf("vosk /asr/vosk on the HTTP port, 8 kHz: %d errors in %d words (%s)%n", errors,
                SpeechFixtures.words(clip.getValue()), text);
        assertTrue(errors <= 2, "8 kHz clip: " + text);
        assertFalse(replies.stream().anyMatch(r -> r.containsKey("result")), "no word list when words=false: " + replies);
    }

    @Test
    void alternativesWhenAsked() throws Exception {
        Map.Entry<String, String> clip = SpeechFixtures.librivoxReferences().entrySet().iterator().next();
        List<JsonObject> replies = ThirdPartyClients.run("vosk_client.py", uri(), "lockstep", String.valueOf(CHUNK),
                "{\"config\": {\"sample_rate\": 16000, \"max_alternatives\": 3}}",
                SpeechFixtures.LIBRIVOX.resolve(clip.getKey()).toString());
        replies.remove(replies.size() - 1);
        List<JsonObject> finals = replies.stream().filter(r -> r.containsKey("alternatives")).toList();
        assertFalse(finals.isEmpty(), "finals carry alternatives: " + replies);
        assertTrue(replies.stream().noneMatch(r -> r.containsKey("text")), "n-best finals have no top-level text: " + replies);
        JsonObject last = replies.get(replies.size() - 1);
        JsonArray alternatives = last.getJsonArray("alternatives");
        assertTrue(alternatives != null && !alternatives.isEmpty() && alternatives.size() <= 3, "eof final: " + last);
        String best = finals.stream().map(f -> f.getJsonArray("alternatives").getJsonObject(0).getString("text"))
                .filter(t -> !t.isEmpty()).collect(Collectors.joining(" "));
        assertTrue(SpeechFixtures.wordErrors(clip.getValue(), best) <= 2, "best alternatives: " + best);
        for (Object a : alternatives) {
            assertTrue(((JsonObject) a).containsKey("confidence") && ((JsonObject) a).containsKey("text"), "shape " + a);
        }
    }

    @Test
    /** Runs with the default idle timeout, so the connection cannot be closed as idle before the pipeline stops. */
    void aPipelineStopFlushesTheFinalThenClosesWith1001() throws Exception {
        List<String> texts = new java.util.concurrent.CopyOnWriteArrayList<>();
        CompletableFuture<String> closed = new CompletableFuture<>();
        WebSocket ws = connect(texts, closed);
        byte[] speech = java.nio.file.Files.readAllBytes(dev.earshot.gateway.SpeechFixtures.DATA.resolve("goforward.raw"));
        ws.sendText("{\"config\": {\"sample_rate\": 16000}}", true).get(5, TimeUnit.SECONDS);
        int messages = 0;
        for (int offset = 0; offset < speech.length; offset += 8000, messages++) {
            ws.sendBinary(ByteBuffer.wrap(speech, offset, Math.min(8000, speech.length - offset)), true).get(5, TimeUnit.SECONDS);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (texts.size() < messages && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(messages, texts.size(), "every audio message was answered: " + texts);
        var pipeline = gateway.runtime().pipeline("default").orElseThrow();
        try {
            pipeline.stop(java.time.Duration.ofSeconds(10));
            String close = closed.get(10, TimeUnit.SECONDS);
            assertTrue(close.startsWith("1001 ") && close.contains("pipeline 'default' stopped"), "closed: " + close);
            String all = String.join(" ", texts);
            assertTrue(all.contains("go forward ten meters"), "the final was flushed before the close: " + texts);
        } finally {
            pipeline.start();
        }
    }

    /**
     * The close code follows how the session closed, not its wording: aborted because the pipeline stops is 1001
     * (going away, try again), aborted by an operator or failed is 1011; the client's eof is a normal 1000.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({
            "STOPPING, pipeline stopped, 1001",
            "ABORTED, closed through the API, 1011",
            "FAILED, decoder stopping badly, 1011",
            "EOF, , 1000"})
    void theCloseCodeFollowsTheSessionOutcome(String kind, String cause, int expected) throws Exception {
        List<String> texts = new java.util.concurrent.CopyOnWriteArrayList<>();
        CompletableFuture<String> closed = new CompletableFuture<>();
        WebSocket ws = connect(texts, closed);
        byte[] speech = Files.readAllBytes(SpeechFixtures.DATA.resolve("goforward.raw"));
        ws.sendText("{\"config\": {\"sample_rate\": 16000}}", true).get(5, TimeUnit.SECONDS);
        ws.sendBinary(ByteBuffer.wrap(speech, 0, CHUNK), true).get(5, TimeUnit.SECONDS);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (texts.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(1, texts.size(), "the audio message was answered: " + texts);
        if (kind.equals("EOF")) {
            ws.sendText("{\"eof\" : 1}", true).get(5, TimeUnit.SECONDS);
        } else {
            var session = gateway.runtime().pipeline("default").orElseThrow().sessions().stream()
                    .filter(s -> s.info().origin().startsWith("vosk:")).findFirst().orElseThrow();
            session.abort(new dev.earshot.spi.source.SessionOutcome(
                    dev.earshot.spi.source.SessionOutcome.Kind.valueOf(kind), cause));
        }
        String close = closed.get(10, TimeUnit.SECONDS);
        assertEquals(expected, Integer.parseInt(close.substring(0, close.indexOf(' '))), "closed: " + close);
        if (cause != null) {
            assertEquals(expected + " session closed: " + cause, close);
        }
    }

    /** A client that collects every text reply in {@code texts} and completes {@code closed} with "status reason". */
    private WebSocket connect(List<String> texts, CompletableFuture<String> closed) throws Exception {
        return HttpClient.newHttpClient().newWebSocketBuilder().buildAsync(URI.create(uri()),
                new WebSocket.Listener() {
                    @Override
                    public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
                        texts.add(data.toString());
                        socket.request(1);
                        return null;
                    }

                    @Override
                    public CompletionStage<?> onClose(WebSocket socket, int statusCode, String reason) {
                        closed.complete(statusCode + " " + reason);
                        return null;
                    }
                }).get(5, TimeUnit.SECONDS);
    }
}
