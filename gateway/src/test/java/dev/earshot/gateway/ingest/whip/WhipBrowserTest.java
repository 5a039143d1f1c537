package dev.earshot.gateway.ingest.whip;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.earshot.gateway.SpeechFixtures;
import dev.earshot.gateway.browser.BrowserScript;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A real WHIP client: headless Debian Chromium, its fake microphone playing real recorded speech, publishes to
 * {@code /whip/default}; the finals on {@code /api/events} match the spoken text as well as the same WAV uploaded to
 * {@code POST /api/transcribe} does (WER within 2 points).
 */
@QuarkusTest
class WhipBrowserTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Inject
    WhipEndpoint whip;

    @Test
    void chromiumPublishesSpeechAndTheTranscriptReachesTheEventStream() throws Exception {
        Map<String, String> references = SpeechFixtures.librivoxReferences();
        List<String> args = new ArrayList<>();
        // The clips twice (142 words): WebRTC's real-time path (Opus, jitter buffer) changes a word here and there, and
        // on 71 words one such word is already 1.4 points.
        for (int round = 0; round < 2; round++) {
            references.keySet().forEach(clip -> args.add(SpeechFixtures.LIBRIVOX.resolve(clip).toString()));
        }
        args.add("OUT");
        // Two seconds of silence first: the fake microphone starts with getUserMedia, before ICE and DTLS are up.
        args.addAll(List.of("pad", "2", "1"));
        Path wav = SpeechFixtures.sox("whip-speech.wav", args.toArray(String[]::new));
        String once = String.join(" ", references.values());
        String reference = once + " " + once;
        int words = SpeechFixtures.words(reference);

        String uploaded = given().contentType("audio/wav").body(wav.toFile()).post("/api/transcribe")
                .then().statusCode(200).extract().path("text");
        int uploadErrors = SpeechFixtures.wordErrors(reference, uploaded);

        List<JsonNode> finals = new CopyOnWriteArrayList<>();
        CompletableFuture<Void> subscribed = new CompletableFuture<>();
        HttpClient client = HttpClient.newHttpClient();
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + RestAssured.port
                + "/api/events?pipeline=default&partials=false")).build();
        CompletableFuture<HttpResponse<Stream<String>>> stream = client.sendAsync(request, HttpResponse.BodyHandlers.ofLines());
        Thread reader = new Thread(() -> {
            try {
                stream.get().body().forEach(line -> {
                    if (line.startsWith(":")) {
                        subscribed.complete(null);
                    } else if (line.startsWith("data: ")) {
                        try {
                            finals.add(JSON.readTree(line.substring(6)));
                        } catch (Exception e) {
                            throw new IllegalStateException(e);
                        }
                    }
                });
            } catch (Exception e) {
                subscribed.completeExceptionally(e);
            }
        }, "whip-test-sse");
        reader.setDaemon(true);
        reader.start();
        subscribed.get(10, TimeUnit.SECONDS);

        long audioMs = (java.nio.file.Files.size(wav) - 44) / 32; // 16 kHz mono 16-bit, as the clips
        String base = "http://127.0.0.1:" + RestAssured.port;
        BrowserScript.Result result = BrowserScript.run("whip-publish.mjs", Duration.ofSeconds(120), Map.of(),
                base + "/", base + "/whip/default", wav.toAbsolutePath().toString(), String.valueOf(audioMs));
        assertEquals(0, result.exitCode(), result.describe());
        JsonNode published = JSON.readTree(result.lastLine());
        assertEquals(201, published.get("status").asInt(), result.describe());
        assertTrue(published.get("answerHasOpus").asBoolean(), result.describe());
        assertTrue(published.get("connected").asBoolean(), "ICE and DTLS came up: " + result.describe());
        assertEquals(200, published.get("deleteStatus").asInt(), result.describe());
        String location = published.get("location").asText();
        assertTrue(location.startsWith("/whip/default/"), location);
        assertTrue(published.get("etag").asText().startsWith("\""), "an ETag: " + published);
        String session = location.substring(location.lastIndexOf('/') + 1);

        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline && (whip.sessions() > 0 || sessionOpen(session))) {
            Thread.sleep(100);
        }
        Thread.sleep(500); // the last final travels through the bus to the stream
        assertEquals(0, whip.sessions(), "the WHIP resource is gone");
        given().get("/api/sessions/" + session).then().statusCode(404);
        StringBuilder text = new StringBuilder();
        for (JsonNode event : finals) {
            if (event.get("session").asText().equals(session) && !event.get("text").asText().isBlank()) {
                text.append(text.isEmpty() ? "" : " ").append(event.get("text").asText());
            }
        }
        int whipErrors = SpeechFixtures.wordErrors(reference, text.toString());
        double whipWer = 100.0 * whipErrors / words, uploadWer = 100.0 * uploadErrors / words;
        System.out.printf("WHIP from Chromium: WER %.1f%% (%d errors in %d words), same WAV uploaded: WER %.1f%% (%d); "
                + "packets sent %s%n", whipWer, whipErrors, words, uploadWer, uploadErrors, published.path("packetsSent"));
        assertTrue(whipWer <= uploadWer + 2.0, "WHIP WER " + whipWer + " within 2 points of the upload's " + uploadWer
                + "\nWHIP:   " + text + "\nupload: " + uploaded + "\nreference: " + reference);
        assertEquals(0, whip.webrtc().openPeers(), "the peer connection is released");
        stream.get().body().close(); // ends the event stream request
    }

    private static boolean sessionOpen(String id) {
        return given().get("/api/sessions/" + id).statusCode() == 200;
    }
}
