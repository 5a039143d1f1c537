package dev.earshot.gateway.browser;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.earshot.gateway.Gateway;
import dev.earshot.gateway.SpeechFixtures;
import dev.earshot.gateway.pipeline.Pipeline;
import dev.earshot.gateway.session.Session;
import dev.earshot.gateway.session.SessionRequest;
import dev.earshot.spi.audio.AudioFormat;
import dev.earshot.spi.audio.AudioFrame;
import dev.earshot.audio.Wav;
import dev.earshot.spi.source.Pacing;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import static io.restassured.RestAssured.when;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The console's status view shows what the API returns: real Chromium, 360 px wide like a phone, reads the pipelines,
 * their sinks, the sessions and the plugins off the page (the data-field / data-value attributes of what it shows),
 * and every value equals the one {@code /api/pipelines}, {@code /api/sessions} and {@code /api/plugins} return for
 * the same, settled, moment. The session is a real one: live speech fed into the default pipeline faster than real
 * time, so its counters (frames decoded and dropped, level) are not zero.
 */
@QuarkusTest
class ConsoleStatusBrowserTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TestHTTPResource("/")
    URL console;

    @Inject
    Gateway gateway;

    @Test
    void theStatusViewShowsWhatTheApiReturns() throws Exception {
        Pipeline pipeline = gateway.runtime().pipeline("default").orElseThrow();
        Session session = pipeline.openSession(SessionRequest.of("test:console", AudioFormat.SPEECH_16K, Pacing.LIVE));
        try {
            // Three clips offered at once, far faster than real time: the live queue (50 frames) drops the oldest.
            long frame = 0;
            for (String clip : List.of("sense_and_sensibility_01_austen_64kb-0870.wav",
                    "sense_and_sensibility_01_austen_64kb-0920.wav", "sense_and_sensibility_01_austen_64kb-0930.wav")) {
                byte[] pcm = pcm(SpeechFixtures.LIBRIVOX.resolve(clip));
                for (int offset = 0; offset < pcm.length; offset += 3200) {
                    assertTrue(session.offer(AudioFrame.copyOf(AudioFormat.SPEECH_16K, pcm, offset,
                            Math.min(3200, pcm.length - offset), frame++, Instant.now())));
                }
            }
            Map<String, JsonNode> settled = settledApi(session.id());
            JsonNode apiSession = find(settled.get("sessions"), "id", session.id());
            assertTrue(apiSession.get("droppedFrames").asLong() > 0, "frames were dropped: " + apiSession);
            assertTrue(apiSession.get("framesDecoded").asLong() > 0, "frames were decoded: " + apiSession);
            assertTrue(apiSession.get("levelDbfs").isNumber() && apiSession.get("levelDbfs").asDouble() > -100,
                    "the level of speech: " + apiSession);
            assertEquals(frame, apiSession.get("framesDecoded").asLong() + apiSession.get("droppedFrames").asLong(),
                    "every frame decoded or counted as dropped");

            Path screenshot = BrowserScript.outputDirectory().resolve("console-status.png");
            Files.deleteIfExists(screenshot);
            BrowserScript.Result result = BrowserScript.run("status-view.mjs", Duration.ofSeconds(90), Map.of(),
                    console.toString(), session.id(), screenshot.toString());
            assertEquals(0, result.exitCode(), result.describe());
            JsonNode page = JSON.readTree(result.lastLine());

            Map<String, JsonNode> after = api();
            assertEquals(settled, after, "nothing changed while the page was read");
            assertTrue(Files.size(screenshot) > 1_000, "a screenshot of the page in " + screenshot);
            assertTrue(page.get("horizontalOverflow").asInt() <= 0, "the page fits a 360 px wide screen: " + page);

            assertEquals(when().get("/q/health").then().extract().path("status"), page.get("health").asText());
            compare("pipeline", after.get("pipelines"), "name", page.get("pipelines"),
                    Set.of("name", "state", "source", "engine.id", "engine.inputFormat", "sessions", "maxSessions",
                            "frameQueue", "realtimeFactor"));
            JsonNode sinks = JSON.createArrayNode();
            for (JsonNode p : after.get("pipelines")) {
                for (JsonNode sink : p.get("sinks")) {
                    ((com.fasterxml.jackson.databind.node.ArrayNode) sinks).add(
                            ((com.fasterxml.jackson.databind.node.ObjectNode) sink.deepCopy()).put("key", p.get("name").asText() + "/" + sink.get("id").asText()));
                }
            }
            compare("sink", sinks, "key", page.get("sinks"),
                    Set.of("id", "queueDepth", "queueCapacity", "delivered", "retried", "droppedPartials", "droppedFinals",
                            "spooledEvents", "spoolBytes", "spoolLimit"));
            compare("session", after.get("sessions"), "id", page.get("sessions"),
                    Set.of("id", "pipeline", "origin", "format", "pacing", "queuedFrames", "queueCapacity", "droppedFrames",
                            "framesDecoded", "levelDbfs", "peakDbfs"));
            compare("plugin", after.get("plugins"), "name", page.get("plugins"), Set.of("name", "version", "state"));
        } finally {
            session.close();
            session.closed().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    /** Every object of the API is on the page and the other way round; every field the page shows equals the API's. */
    private static void compare(String kind, JsonNode api, String key, JsonNode page, Set<String> required) {
        Set<String> apiKeys = new TreeSet<>();
        api.forEach(item -> apiKeys.add(item.get(key).asText()));
        Set<String> pageKeys = new TreeSet<>();
        page.fieldNames().forEachRemaining(pageKeys::add);
        assertEquals(apiKeys, pageKeys, kind + "s on the page and in the API");
        for (JsonNode item : api) {
            String id = item.get(key).asText();
            JsonNode shown = page.get(id);
            Set<String> fields = new TreeSet<>();
            shown.fieldNames().forEachRemaining(fields::add);
            // What the API reports as null is not there to show (a pipeline not started yet has no engine).
            Set<String> shownByApi = new TreeSet<>(required);
            shownByApi.removeIf(path -> item.path(path.split("\\.")[0]).isNull());
            assertTrue(fields.containsAll(shownByApi), kind + " " + id + " shows " + fields + ", expected at least " + shownByApi);
            for (Iterator<Map.Entry<String, JsonNode>> it = shown.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                JsonNode expected = at(item, field.getKey());
                String value = field.getValue().get("value").asText();
                String text = field.getValue().get("text").asText();
                String where = kind + " " + id + ", field " + field.getKey() + ": page shows '" + text + "' (" + value
                        + "), API says " + expected;
                if (expected.isNumber()) {
                    assertEquals(expected.asDouble(), Double.parseDouble(value), 1e-9, where);
                    if (expected.isIntegralNumber() && !field.getKey().startsWith("spool")) {
                        assertEquals(expected.asText(), text, where);
                    }
                } else if (expected.isArray()) {
                    List<String> items = new ArrayList<>();
                    expected.forEach(e -> items.add(e.asText()));
                    assertEquals(String.join(",", items), value, where);
                } else if (expected.isNull() || expected.isMissingNode()) {
                    assertEquals("", value, where);
                } else {
                    assertEquals(expected.asText(), value, where);
                    assertTrue(text.contains(expected.asText()), where);
                }
            }
        }
    }

    /** A field by its dotted path; {@code provides.sinks} reads the list {@code provides.sinks}. */
    private static JsonNode at(JsonNode item, String path) {
        JsonNode node = item;
        for (String part : path.split("\\.")) {
            node = node.path(part);
        }
        return node;
    }

    private static JsonNode find(JsonNode array, String key, String value) {
        for (JsonNode item : array) {
            if (item.get(key).asText().equals(value)) {
                return item;
            }
        }
        fail("no " + key + " '" + value + "' in " + array);
        return null;
    }

    private static Map<String, JsonNode> api() throws Exception {
        return Map.of("pipelines", get("/api/pipelines"), "sessions", get("/api/sessions"), "plugins", get("/api/plugins"));
    }

    private static JsonNode get(String path) throws Exception {
        return JSON.readTree(when().get(path).then().statusCode(200).extract().asString());
    }

    /** Reads the API until the session's queue is empty, its sinks idle, and two reads 300 ms apart agree. */
    private static Map<String, JsonNode> settledApi(String session) throws Exception {
        Map<String, JsonNode> previous = null;
        for (int i = 0; i < 200; i++) {
            Map<String, JsonNode> now = api();
            JsonNode listed = find(now.get("sessions"), "id", session);
            boolean idle = listed.get("queuedFrames").asInt() == 0;
            for (JsonNode p : now.get("pipelines")) {
                for (JsonNode sink : p.get("sinks")) {
                    idle &= sink.get("queueDepth").asInt() == 0;
                }
            }
            if (idle && now.equals(previous)) {
                return now;
            }
            previous = idle ? now : null;
            Thread.sleep(300);
        }
        throw new AssertionError("the API did not settle within 60 s: " + previous);
    }

    private static byte[] pcm(Path wav) throws Exception {
        byte[] file = Files.readAllBytes(wav);
        Wav.Header header = Wav.parse(file);
        assertEquals(AudioFormat.SPEECH_16K, header.format(), wav + " is 16 kHz mono");
        try (InputStream pcm = Wav.pcm16(new ByteArrayInputStream(file, (int) header.dataOffset(),
                file.length - (int) header.dataOffset()), header)) {
            return pcm.readAllBytes();
        }
    }
}
