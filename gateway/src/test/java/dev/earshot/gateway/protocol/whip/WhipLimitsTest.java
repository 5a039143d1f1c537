package dev.earshot.gateway.protocol.whip;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.earshot.gateway.Gateway;
import dev.earshot.gateway.SpeechFixtures;
import dev.earshot.gateway.browser.BrowserScript;
import dev.earshot.gateway.protocol.JvmBaseline;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * WHIP limits from configuration (max sessions, max offer size, connect timeout, bearer token), precise errors for
 * bad requests, the session resource's PATCH and DELETE, and 200 malformed inputs while Chromium publishes real speech.
 */
@QuarkusTest
@TestProfile(WhipLimitsTest.Limits.class)
class WhipLimitsTest {

    static final String TOKEN = "whip-test-token-0123456789";
    private static final int MAX_OFFER = 8 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper();

    public static final class Limits implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("earshot.ingest.whip.max-sessions", "2", "earshot.ingest.whip.max-offer-size", "8K",
                    "earshot.ingest.whip.connect-timeout", "6s", "earshot.api.token", TOKEN);
        }
    }

    private static ExecutorService clientThreads;
    private static HttpClient http;
    private static String offer;

    @Inject
    WhipEndpoint whip;

    @Inject
    Gateway gateway;

    @BeforeAll
    static void client() throws IOException {
        clientThreads = Executors.newFixedThreadPool(1);
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).executor(clientThreads).build();
        try (InputStream in = WhipLimitsTest.class.getResourceAsStream("/whip/offer.sdp")) {
            offer = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        }
    }

    @AfterAll
    static void closeClient() {
        clientThreads.shutdownNow();
    }

    private static String base() {
        return "http://127.0.0.1:" + RestAssured.port;
    }

    private static HttpResponse<String> send(String method, String path, String type, byte[] body, String... headers)
            throws IOException, InterruptedException {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(base() + path)).timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        if (type != null) {
            builder.header("Content-Type", type);
        }
        for (int i = 0; i < headers.length; i += 2) {
            builder.header(headers[i], headers[i + 1]);
        }
        return http.send(builder.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> post(String sdp) throws IOException, InterruptedException {
        return send("POST", "/whip/default", "application/sdp", sdp.getBytes(StandardCharsets.UTF_8), "Authorization", "Bearer " + TOKEN);
    }

    private static void expect(HttpResponse<String> response, int status, String text) {
        assertEquals(status, response.statusCode(), response.body());
        assertTrue(response.body().contains(text), "'" + response.body().trim() + "' says: " + text);
    }

    @Test
    void badRequestsGetPreciseErrors() throws Exception {
        expect(post(offer.replace("m=audio", "m=video")), 400, "invalid offer: the offer has no audio section");
        expect(post(offer.replace("opus/48000/2", "speex/16000")), 400, "offers no Opus");
        expect(post("hello"), 400, "first line must be 'v=0'");
        expect(post(offer.replace("a=fingerprint:sha-256 3C", "a=fingerprint:sha-256 ZZ")), 400, "invalid offer: the offer was rejected");
        expect(send("POST", "/whip/default", "text/plain", offer.getBytes(), "Authorization", "Bearer " + TOKEN), 415,
                "Content-Type must be application/sdp");
        expect(send("POST", "/whip/default", "application/sdp", new byte[MAX_OFFER + 1], "Authorization", "Bearer " + TOKEN),
                413, "larger than 8192 bytes (earshot.ingest.whip.max-offer-size)");
        expect(send("POST", "/whip/nowhere", "application/sdp", offer.getBytes(), "Authorization", "Bearer " + TOKEN),
                404, "unknown pipeline 'nowhere' (available: ");
        expect(send("POST", "/whip/default", "application/sdp", offer.getBytes()), 401, "Authorization: Bearer");
        expect(send("POST", "/whip/default", "application/sdp", offer.getBytes(), "Authorization", "Bearer nope"), 401, "not accepted here");
        expect(send("GET", "/whip/default", null, null), 401, "Bearer");
        expect(send("GET", "/whip/default", null, null, "Authorization", "Bearer " + TOKEN), 405, "use POST");
        expect(send("DELETE", "/whip/default/no-such-session", null, null, "Authorization", "Bearer " + TOKEN), 404, "no WHIP session");
        assertEquals(401, send("OPTIONS", "/whip/default", null, null).statusCode(), "deny by default: OPTIONS too");
        assertEquals(204, send("OPTIONS", "/whip/default", null, null, "Authorization", "Bearer " + TOKEN).statusCode());
        awaitTrue(() -> whip.sessions() == 0 && whip.webrtc().openPeers() == 0, "nothing left open");
    }

    @Test
    void sessionLimitPatchDeleteAndConnectTimeout() throws Exception {
        HttpResponse<String> first = post(offer);
        assertEquals(201, first.statusCode(), first.body());
        assertEquals("application/sdp", first.headers().firstValue("Content-Type").orElse(""));
        assertTrue(first.body().contains("a=candidate:"), first.body());
        String location = first.headers().firstValue("Location").orElseThrow();
        String etag = first.headers().firstValue("ETag").orElseThrow();
        HttpResponse<String> second = post(offer);
        assertEquals(201, second.statusCode(), second.body());
        HttpResponse<String> third = post(offer);
        expect(third, 503, "2 WHIP sessions are open (earshot.ingest.whip.max-sessions)");
        assertEquals("5", third.headers().firstValue("Retry-After").orElse(""));

        String id = first.headers().firstValue("X-Earshot-Session").orElseThrow();
        String resource = location.substring(location.lastIndexOf('/') + 1);
        assertTrue(resource.matches("[0-9a-f]{32}") && !resource.contains(id), "the resource id is 128 random bits: " + location);
        assertEquals(401, send("GET", "/api/sessions/" + id, null, null).statusCode(), "sessions are not for everyone");
        JsonNode view = JSON.readTree(send("GET", "/api/sessions/" + id, null, null, "Authorization", "Bearer " + TOKEN).body());
        assertEquals("whip", view.get("origin").asText());
        assertEquals("live", view.get("pacing").asText());
        assertTrue(view.has("framesReceived") && view.has("droppedFrames"), view.toString());

        String fragment = "a=ice-ufrag:Bx7q\r\na=ice-pwd:Fz3m1QyYlC8k0VhG9q2tUe4p\r\na=mid:0\r\n"
                + "a=candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host\r\n";
        expect(send("PATCH", location, "application/sdp", fragment.getBytes(), "Authorization", "Bearer " + TOKEN), 415,
                "application/trickle-ice-sdpfrag");
        expect(send("PATCH", location, "application/trickle-ice-sdpfrag", fragment.getBytes(), "Authorization", "Bearer " + TOKEN,
                "If-Match", "\"other\""), 412, "does not match");
        assertEquals(204, send("PATCH", location, "application/trickle-ice-sdpfrag", fragment.getBytes(),
                "Authorization", "Bearer " + TOKEN, "If-Match", etag).statusCode());
        expect(send("DELETE", location, null, null), 401, "Bearer");
        assertEquals(200, send("DELETE", location, null, null, "Authorization", "Bearer " + TOKEN).statusCode());
        assertEquals(404, send("DELETE", location, null, null, "Authorization", "Bearer " + TOKEN).statusCode());

        // The second never connects (the offer's candidates lead nowhere): the connect timeout (6 s) ends it.
        awaitTrue(() -> whip.sessions() == 0, "the unconnected session ended by the connect timeout");
        awaitTrue(() -> whip.webrtc().openPeers() == 0, "its peer connection was released");
        awaitTrue(() -> gateway.runtime().pipelines().stream().allMatch(p -> p.sessionCount() == 0), "pipeline sessions closed");
        String metrics = send("GET", "/q/metrics", null, null, "Authorization", "Bearer " + TOKEN).body();
        assertTrue(metrics.lines().anyMatch(l -> l.startsWith("earshot_whip_sessions_ended_total{cause=\"connect-timeout\"")
                && !l.endsWith(" 0.0")), metrics.lines().filter(l -> l.contains("whip")).toList().toString());
        assertTrue(metrics.contains("earshot_whip_sessions_ended_total{cause=\"deleted\""), "deleted counted");
    }

    @Test
    void malformedInputsWhileChromiumPublishes() throws Exception {
        Random random = new Random(7);
        for (int i = 0; i < 20; i++) {
            fuzzCase(i, random); // warm-up: WebRTC's factory and threads, client threads and classes before the baseline
        }
        Map<String, String> references = SpeechFixtures.librivoxReferences();
        List<String> clips = new ArrayList<>(references.keySet()).subList(0, 2);
        // Warm-up too: one short connected session, so that the threads WebRTC keeps for the process once audio has
        // flowed (its audio device module's, the network's) are in the baseline; what must come back is per session.
        Path shortWav = SpeechFixtures.sox("whip-warm-up.wav", SpeechFixtures.LIBRIVOX.resolve(clips.get(0)).toString(),
                "OUT", "trim", "0", "1");
        BrowserScript.Result warmUp = BrowserScript.run("whip-publish.mjs", Duration.ofSeconds(60), Map.of(), base() + "/",
                base() + "/whip/default", shortWav.toAbsolutePath().toString(), "1000", TOKEN);
        assertEquals(0, warmUp.exitCode(), warmUp.describe());
        awaitIdle();
        long[] baseline = JvmBaseline.measure();

        Path wav = SpeechFixtures.sox("whip-fuzz-speech.wav", SpeechFixtures.LIBRIVOX.resolve(clips.get(0)).toString(),
                SpeechFixtures.LIBRIVOX.resolve(clips.get(1)).toString(), "OUT", "pad", "2", "1");
        String reference = references.get(clips.get(0)) + " " + references.get(clips.get(1));
        long audioMs = (java.nio.file.Files.size(wav) - 44) / 32;
        AutoCloseable subscription = gateway.runtime().bus().subscribe(events::add);
        CompletableFuture<BrowserScript.Result> browser = CompletableFuture.supplyAsync(() -> {
            try {
                return BrowserScript.run("whip-publish.mjs", Duration.ofSeconds(120), Map.of(), base() + "/",
                        base() + "/whip/default", wav.toAbsolutePath().toString(), String.valueOf(audioMs), TOKEN);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        awaitTrue(() -> whip.sessions() > 0 || browser.isDone(), "the browser's session is open");
        int overlapping = 0;
        long start = System.nanoTime();
        for (int i = 0; i < 200; i++) {
            fuzzCase(i, random);
            if (whip.sessions() > 0) {
                overlapping++;
            }
        }
        double fuzzSeconds = (System.nanoTime() - start) / 1e9;
        BrowserScript.Result result = browser.get(150, TimeUnit.SECONDS);
        assertEquals(0, result.exitCode(), result.describe());
        JsonNode published = JSON.readTree(result.lastLine());
        assertTrue(published.get("connected").asBoolean(), result.describe());
        String location = published.get("location").asText();
        String session = published.get("session").asText();
        awaitIdle();
        Thread.sleep(500); // the last final travels through the bus
        subscription.close();
        String text = finalsOf(session);
        int errors = SpeechFixtures.wordErrors(reference, text);
        long[] after = JvmBaseline.measure();
        System.out.printf("WHIP fuzz: 200 malformed inputs in %.1f s, %d while Chromium published; valid session %d errors "
                        + "in %d words; threads %d -> %d, heap after GC %.1f -> %.1f MiB%n", fuzzSeconds, overlapping, errors,
                SpeechFixtures.words(reference), baseline[0], after[0], baseline[1] / 1048576.0, after[1] / 1048576.0);
        assertTrue(overlapping > 0, "the valid session ran during the fuzzing");
        // 30 words decoded while 200 requests hit the same 2 cores, in the shared test JVM whose pauses the real-time
        // WebRTC path feels: 6 errors at most (the WER comparison with the upload path is WhipBrowserIT's, on its own
        // gateway process). Observed: 0 errors alone, 2-4 in full builds.
        assertTrue(errors <= 6, "valid session transcript (" + errors + " errors): " + text);
        assertEquals(0, whip.webrtc().openPeers(), "every peer connection released");
        JvmBaseline.assertBack(baseline, after);
    }

    /** The session's finals as they went to the sinks and the live stream (the transcript bus). */
    private String finalsOf(String session) {
        StringBuilder text = new StringBuilder();
        for (dev.earshot.spi.transcript.TranscriptEvent event : events) {
            if (event.isFinal() && event.session().equals(session) && !event.text().isBlank()) {
                text.append(text.isEmpty() ? "" : " ").append(event.text());
            }
        }
        return text.toString();
    }

    private final List<dev.earshot.spi.transcript.TranscriptEvent> events = new java.util.concurrent.CopyOnWriteArrayList<>();

    private void fuzzCase(int i, Random random) throws Exception {
        switch (i % 10) {
            case 0 -> {
                byte[] garbage = new byte[1 + random.nextInt(4000)];
                random.nextBytes(garbage);
                HttpResponse<String> r = send("POST", "/whip/default", "application/sdp", garbage, "Authorization", "Bearer " + TOKEN);
                expect(r, 400, "invalid offer");
            }
            case 1 -> expect(post(offer.substring(0, random.nextInt(offer.indexOf("a=rtpmap:111")))), 400, "");
            case 2 -> {
                String[] types = {"text/plain", "application/json", "application/sdpx", "multipart/form-data"};
                expect(send("POST", "/whip/default", types[random.nextInt(types.length)], offer.getBytes(),
                        "Authorization", "Bearer " + TOKEN), 415, "Content-Type must be application/sdp");
            }
            case 3 -> expect(send("POST", "/whip/default", "application/sdp", new byte[MAX_OFFER + 1 + random.nextInt(40_000)],
                    "Authorization", "Bearer " + TOKEN), 413, "max-offer-size");
            case 4 -> expect(post(offer.replace("m=audio", "m=video")), 400, "no audio section");
            case 5 -> {
                String[] lines = offer.split("\r\n");
                int at = 1 + random.nextInt(lines.length - 1);
                lines[at] = "#" + Long.toHexString(random.nextLong());
                expect(post(String.join("\r\n", lines)), 400, "is not '<letter>=<value>'");
            }
            case 6 -> expect(send("PATCH", "/whip/default/s-" + random.nextInt(1000), "application/trickle-ice-sdpfrag",
                    "a=candidate:x".getBytes(), "Authorization", "Bearer " + TOKEN), 404, "no WHIP session");
            case 7 -> expect(send("POST", "/whip/default", "application/sdp", offer.getBytes()), 401, "Bearer");
            case 8 -> expect(post(offer.replace("a=sendonly", "a=recvonly")), 400, "recvonly");
            default -> expect(post(offer.replace("a=fingerprint:sha-256 3C", "a=fingerprint:sha-256 Q" + random.nextInt(9))),
                    400, "the offer was rejected");
        }
    }

    private void awaitIdle() throws InterruptedException {
        awaitTrue(() -> whip.sessions() == 0 && whip.webrtc().openPeers() == 0
                && gateway.runtime().pipelines().stream().allMatch(p -> p.sessionCount() == 0), "sessions closed");
    }

    private static void awaitTrue(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out waiting: " + what);
            }
            Thread.sleep(50);
        }
    }
}
