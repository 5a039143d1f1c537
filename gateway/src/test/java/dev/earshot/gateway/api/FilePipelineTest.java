package dev.earshot.gateway.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.earshot.gateway.SpeechFixtures;
import dev.earshot.audio.Wav;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import org.junit.jupiter.api.Test;
import org.vosk.Model;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

import static io.restassured.RestAssured.given;
import static io.restassured.RestAssured.when;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The test pipeline 'files' (application.properties, %test): file source (two utterances in one WAV) -> Vosk ->
 * JSON Lines sink, watched through GET /api/events by a real HTTP client.
 */
@QuarkusTest
class FilePipelineTest {

    private static final Path JSONL = Path.of("target/test-output/transcripts.jsonl");
    private final ObjectMapper json = new ObjectMapper();

    @Test
    void fileSourceToJsonLinesOneFinalPerUtteranceAndTheStreamCarriesTheSameEvents() throws Exception {
        Path wav = SpeechFixtures.sox("two-utterances.wav",
                "|sox " + SpeechFixtures.LIBRIVOX.resolve("sense_and_sensibility_01_austen_64kb-0870.wav") + " -p pad 0 2",
                SpeechFixtures.LIBRIVOX.resolve("sense_and_sensibility_01_austen_64kb-0930.wav").toString(), "OUT");
        // The sink holds the file open since start-up: read only what this run appends.
        int linesBefore = lines(0).size();
        List<String> expectedFinals;
        try (Model model = new Model(SpeechFixtures.MODEL.toString())) {
            expectedFinals = SpeechFixtures.plainVoskFinals(model, wav, 3200);
        }
        assertEquals(2, expectedFinals.size(), "two utterances, as a plain Vosk loop splits them: " + expectedFinals);

        List<String> streamed = new CopyOnWriteArrayList<>();
        CompletableFuture<Void> connected = new CompletableFuture<>();
        HttpClient client = HttpClient.newHttpClient();
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + RestAssured.port + "/api/events?pipeline=files"))
                .timeout(Duration.ofSeconds(60)).build();
        CompletableFuture<HttpResponse<Stream<String>>> stream = client.sendAsync(request, HttpResponse.BodyHandlers.ofLines());
        Thread reader = new Thread(() -> {
            try {
                HttpResponse<Stream<String>> response = stream.get();
                response.body().forEach(line -> {
                    if (line.startsWith(":")) {
                        connected.complete(null);
                    } else if (line.startsWith("data: ")) {
                        streamed.add(line.substring(6));
                    }
                });
            } catch (Exception e) {
                connected.completeExceptionally(e);
            }
        }, "sse-test-reader");
        reader.setDaemon(true);
        reader.start();
        connected.get(10, java.util.concurrent.TimeUnit.SECONDS);

        given().header("X-Earshot-Request", "1").post("/api/pipelines/files/start").then().statusCode(200).body("state", equalTo("running"));
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline && (lines(linesBefore).size() < 2 || finals(streamed).size() < 2)) {
            Thread.sleep(50);
        }
        List<String> lines = lines(linesBefore);
        assertEquals(2, lines.size(), "one JSON line per utterance: " + lines);
        assertEquals(lines, finals(streamed), "the live stream delivered the same final events");
        assertTrue(streamed.size() > 2, "partials were streamed too: " + streamed.size());

        double previousEnd = 0;
        for (int i = 0; i < 2; i++) {
            JsonNode event = json.readTree(lines.get(i));
            assertEquals("final", event.get("type").asText());
            assertEquals("files", event.get("pipeline").asText());
            assertEquals(expectedFinals.get(i), event.get("text").asText());
            assertEquals(event.get("session").asText() + "-" + event.get("sequence").asLong(), event.get("id").asText());
            JsonNode words = event.get("result");
            assertEquals(SpeechFixtures.words(expectedFinals.get(i)), words.size());
            for (JsonNode word : words) {
                assertTrue(word.get("start").asDouble() >= previousEnd - 0.05, "word timings move forward: " + word);
                assertTrue(word.get("end").asDouble() >= word.get("start").asDouble());
                previousEnd = word.get("end").asDouble();
            }
        }
        assertTrue(json.readTree(lines.get(1)).get("result").get(0).get("start").asDouble() > 8.0,
                "second utterance starts after the first clip and the pause");

        // Counters match what was sent: every 100 ms frame of the file counted once, nothing dropped, two finals.
        // sox wrote the file with 32-bit samples; the gateway converts them to 16-bit frames of 100 ms.
        long dataBytes = Wav.parse(Files.readAllBytes(wav)).pcm16Length();
        long frames = (dataBytes + 3199) / 3200;
        String metrics = when().get("/q/metrics").then().statusCode(200).extract().asString();
        // The sink's counter moves after its deliver() returns, just after the line is in the file: wait for it.
        long counted = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (metric(metrics, "earshot_sink_delivered_total{sink=\"transcripts\"}") < 2 && System.nanoTime() < counted) {
            Thread.sleep(50);
            metrics = when().get("/q/metrics").then().statusCode(200).extract().asString();
        }
        assertEquals(frames, metric(metrics, "earshot_frames_in_total{pipeline=\"files\"}"));
        assertEquals(0, metric(metrics, "earshot_frames_dropped_total{pipeline=\"files\"}"));
        assertEquals(2, metric(metrics, "earshot_transcripts_total{pipeline=\"files\",type=\"final\"}"));
        assertEquals(2, metric(metrics, "earshot_sink_delivered_total{sink=\"transcripts\"}"));

        given().header("X-Earshot-Request", "1").post("/api/pipelines/files/stop").then().statusCode(200).body("state", equalTo("stopped"));
        stream.cancel(true);
    }

    private static List<String> lines(int skip) throws Exception {
        List<String> all = Files.exists(JSONL) ? Files.readAllLines(JSONL) : List.of();
        return all.subList(Math.min(skip, all.size()), all.size());
    }

    private static List<String> finals(List<String> streamed) {
        return streamed.stream().filter(line -> line.contains("\"type\":\"final\"")).toList();
    }

    private static long metric(String metrics, String name) {
        return metrics.lines().filter(l -> l.startsWith(name + " ")).findFirst()
                .map(l -> (long) Double.parseDouble(l.substring(name.length() + 1).trim()))
                .orElseThrow(() -> new AssertionError("no metric " + name));
    }
}
