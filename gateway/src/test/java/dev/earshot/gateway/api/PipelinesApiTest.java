package dev.earshot.gateway.api;

import dev.earshot.gateway.Gateway;
import dev.earshot.gateway.SpeechFixtures;
import dev.earshot.gateway.delivery.SinkChannel;
import dev.earshot.gateway.pipeline.Pipeline;
import dev.earshot.gateway.session.EngineInstance;
import dev.earshot.gateway.session.Session;
import dev.earshot.gateway.session.SessionRequest;
import dev.earshot.spi.audio.AudioFormat;
import dev.earshot.spi.source.Pacing;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static io.restassured.RestAssured.given;
import static io.restassured.RestAssured.when;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Pipelines as resources: PUT, GET and DELETE /api/pipelines/{name} against the running application. */
@QuarkusTest
class PipelinesApiTest {

    @Inject
    Gateway gateway;

    /** What a refused change must leave exactly as it was: the pipelines, the components and the stored specs. */
    private String state() throws Exception {
        var runtime = gateway.runtime();
        Path stored = runtime.settings().dataDir().resolve("pipelines");
        List<String> files;
        if (Files.isDirectory(stored)) {
            try (Stream<Path> list = Files.list(stored)) {
                files = list.map(p -> p.getFileName().toString()).sorted().toList();
            }
        } else {
            files = List.of();
        }
        return when().get("/api/pipelines").then().statusCode(200).extract().asString()
                + " engines=" + runtime.engines().stream().map(EngineInstance::id).sorted().toList()
                + " sinks=" + runtime.sinks().stream().map(SinkChannel::id).sorted().toList()
                + " pipelines=" + runtime.settings().pipelines().keySet().stream().sorted().toList()
                + " files=" + files;
    }

    private static Response put(String name, String spec) {
        return given().contentType("application/json").body(spec).when().put("/api/pipelines/" + name);
    }

    @Test
    void badSpecsGet400WithTheKeyAndTheFixAndChangeNothing() throws Exception {
        Path out = Path.of("target/test-output/bad-spec.jsonl").toAbsolutePath();
        String before = state();
        record Case(String name, String spec, String expected) {
        }
        List<Case> cases = List.of(
                new Case("bad-type", "{\"sinks\": [\"log\", {\"id\": \"alarm\", \"type\": \"no-such-sink\"}]}",
                        "earshot.sinks.alarm.type: unknown sink type 'no-such-sink' (used by pipeline 'bad-type'; available: "),
                new Case("bad-type", "{\"engine\": \"no-such-engine\"}",
                        "pipeline 'bad-type': unknown engine 'no-such-engine' (earshot.pipelines.bad-type.engine; available: "),
                new Case("bad-option", "{\"sinks\": [{\"id\": \"bad-out\", \"type\": \"jsonl\", \"path\": \"" + out
                        + "\", \"max-files\": \"many\"}]}", "earshot.sinks.bad-out.max-files"),
                new Case("bad-option", "{\"sinks\": [{\"id\": \"bad-out\", \"type\": \"jsonl\", \"path\": \"" + out
                        + "\", \"queue-size\": \"lots\"}]}", "earshot.sinks.bad-out.queue-size"),
                new Case("missing-option", "{\"sinks\": [{\"id\": \"no-path\", \"type\": \"jsonl\"}]}",
                        "earshot.sinks.no-path.path"),
                new Case("misspelt", "{\"sinks\": [{\"id\": \"typo\", \"type\": \"jsonl\", \"path\": \"" + out
                        + "\", \"partialz\": true}]}", "earshot.sinks.typo.partialz: unknown option; did you mean earshot.sinks.typo.partials?"),
                // The engine is created before the failing sink: it is closed again.
                new Case("half", "{\"engine\": {\"id\": \"second-vosk\", \"type\": \"vosk\"}, \"sinks\": [{\"id\": \"nope\", \"type\": \"jsonl\"}]}",
                        "earshot.sinks.nope.path"),
                new Case("bad-key", "{\"sink\": \"log\"}", "earshot.pipelines.bad-key.sink: unknown key"),
                new Case("bad-number", "{\"max-sessions\": \"ten\"}", "earshot.pipelines.bad-number.max-sessions: 'ten' is not valid; expected a whole number"),
                new Case("bad-gate", "{\"speech-gate\": \"maybe\"}", "earshot.pipelines.bad-gate.speech-gate: 'maybe' is not valid; expected auto, on or off"),
                new Case("Bad.Name", "{}", "pipeline name 'Bad.Name' is not valid"),
                new Case("bad-id", "{\"sinks\": [{\"id\": \"../escape\", \"type\": \"log\"}]}", "sink id '../escape' is not valid"),
                new Case("not-json", "{\"sinks\": [", "the pipeline spec is not valid JSON"),
                new Case("shared-log", "{\"sinks\": [{\"id\": \"transcripts\", \"type\": \"log\"}]}",
                        "earshot.sinks.transcripts: sink 'transcripts' is already declared by the configuration file with other options"));
        for (Case c : cases) {
            String body = put(c.name(), c.spec()).then().statusCode(400).extract().asString();
            assertTrue(body.contains(c.expected()), c.spec() + " -> " + body);
            assertEquals(before, state(), "state unchanged after " + c.spec());
        }
        given().contentType("application/json").body("x".repeat(PipelinesResource.MAX_SPEC_BYTES + 1))
                .when().put("/api/pipelines/big").then().statusCode(413);
        assertEquals(before, state());
    }

    @Test
    void configuredPipelinesAreReadOnly() throws Exception {
        String before = state();
        put("default", "{\"sinks\": [\"log\"]}").then().statusCode(409)
                .body("error", containsString("pipeline 'default' comes from the configuration file (earshot.pipelines.default.*) and is read-only"));
        when().delete("/api/pipelines/default").then().statusCode(409);
        when().delete("/api/pipelines/no-such-pipeline").then().statusCode(404);
        when().get("/api/pipelines/default").then().statusCode(200).body("readOnly", equalTo(true))
                .body("spec.engine", equalTo("vosk")).body("spec.sinks", equalTo(List.of("log")));
        assertEquals(before, state());
    }

    @Test
    void putTranscribeReplaceAndDelete() throws Exception {
        Path out = Path.of("target/test-output/put-pipeline.jsonl").toAbsolutePath();
        Files.deleteIfExists(out);
        Path stored = gateway.runtime().settings().dataDir().resolve("pipelines/spoken.json");
        String spec = "{\"engine\": \"vosk\", \"sinks\": [\"log\", {\"id\": \"spoken-out\", \"type\": \"jsonl\", \"path\": \""
                + out + "\"}], \"max-sessions\": 4}";
        try {
            put("spoken", spec).then().statusCode(201)
                    .body("state", equalTo("running")).body("readOnly", equalTo(false))
                    .body("spec.sinks[1].id", equalTo("spoken-out")).body("spec.sinks[1].type", equalTo("jsonl"))
                    .body("spec.max-sessions", equalTo(4));
            assertTrue(Files.isRegularFile(stored), stored + " written");
            assertTrue(Files.readString(stored).contains("\"spoken-out\""), Files.readString(stored));

            Path wav = SpeechFixtures.LIBRIVOX.resolve("sense_and_sensibility_01_austen_64kb-0930.wav");
            given().contentType("audio/wav").body(Files.readAllBytes(wav)).when().post("/api/transcribe?pipeline=spoken")
                    .then().statusCode(200).body("text", containsString("he might even have been made amiable himself"));
            assertTrue(Files.readString(awaitFile(out)).contains("he might even have been made amiable himself"));

            // Busy: a session is open; replacing or deleting needs force.
            Pipeline running = gateway.runtime().pipeline("spoken").orElseThrow();
            Session session = running.openSession(SessionRequest.of("test:busy", AudioFormat.SPEECH_16K, Pacing.LIVE));
            try {
                put("spoken", spec.replace("\"max-sessions\": 4", "\"max-sessions\": 5")).then().statusCode(409)
                        .body("error", containsString("has 1 session(s) open; wait for them to end, or add ?force=true"));
                when().delete("/api/pipelines/spoken").then().statusCode(409);
            } finally {
                session.end();
            }
            session.closed().toCompletableFuture().get(10, java.util.concurrent.TimeUnit.SECONDS);

            put("spoken", spec.replace("\"max-sessions\": 4", "\"max-sessions\": 5")).then().statusCode(200)
                    .body("state", equalTo("running")).body("maxSessions", equalTo(5));
            assertTrue(Files.readString(stored).contains("\"max-sessions\" : 5"), Files.readString(stored));
            when().get("/api/pipelines/spoken").then().statusCode(200).body("sinks.id", equalTo(List.of("log", "spoken-out")));

            when().delete("/api/pipelines/spoken").then().statusCode(200).body("name", equalTo("spoken"));
            assertFalse(Files.exists(stored), "stored spec deleted");
            when().get("/api/pipelines/spoken").then().statusCode(404);
            assertFalse(gateway.runtime().sinks().stream().anyMatch(s -> s.id().equals("spoken-out")), "its own sink closed");
            assertTrue(gateway.runtime().sinks().stream().anyMatch(s -> s.id().equals("log")), "the shared sink stays");
            when().delete("/api/pipelines/spoken").then().statusCode(404);
        } finally {
            given().when().delete("/api/pipelines/spoken?force=true");
        }
    }

    @Test
    void aDisabledPipelineIsStoredNotStartedAndItsSecretsAreMaskedInTheView() throws Exception {
        try {
            put("later", "{\"enabled\": false, \"sinks\": [{\"id\": \"later-hook\", \"type\": \"webhook\", "
                    + "\"url\": \"http://127.0.0.1:9/hook\", \"headers.Authorization\": \"Bearer 0123456789abcdef\", \"headers.X-Station\": \"roof-7\"}]}")
                    .then().statusCode(201).body("state", equalTo("stopped"))
                    .body("spec.sinks[0].'headers.Authorization'", equalTo("***"))
                    // declared secret by the webhook sink (headers.<key>), whatever its name says
                    .body("spec.sinks[0].'headers.X-Station'", equalTo("***")).body("spec.sinks[0].url", equalTo("http://127.0.0.1:9/hook"));
            when().get("/api/pipelines").then().statusCode(200)
                    .body("find { it.name == 'later' }.spec.sinks[0].'headers.Authorization'", equalTo("***"));
        } finally {
            when().delete("/api/pipelines/later").then().statusCode(200);
        }
    }

    /**
     * Changes are serialised: four PUTs at once, each declaring the sink 'race-out' with its own file, under four names.
     * One of them declares it first; the three others see that declaration and get 400, never two sinks of one id.
     */
    @Test
    void concurrentPutsAreSerialised() throws Exception {
        List<String> names = List.of("race-a", "race-b", "race-c", "race-d");
        String before = state();
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(names.size());
        try {
            List<java.util.concurrent.Future<Integer>> answers = new java.util.ArrayList<>();
            for (String name : names) {
                Path out = Path.of("target/test-output/" + name + ".jsonl").toAbsolutePath();
                answers.add(pool.submit(() -> put(name, "{\"enabled\": false, \"sinks\": [{\"id\": \"race-out\", "
                        + "\"type\": \"jsonl\", \"path\": \"" + out + "\"}]}").statusCode()));
            }
            List<Integer> statuses = new java.util.ArrayList<>();
            for (var answer : answers) {
                statuses.add(answer.get(60, java.util.concurrent.TimeUnit.SECONDS));
            }
            assertEquals(1, statuses.stream().filter(s -> s == 201).count(), statuses.toString());
            assertEquals(3, statuses.stream().filter(s -> s == 400).count(), statuses.toString());
            assertEquals(1, gateway.runtime().sinks().stream().filter(s -> s.id().equals("race-out")).count());
        } finally {
            pool.shutdownNow();
            for (String name : names) {
                given().when().delete("/api/pipelines/" + name);
            }
        }
        assertEquals(before, state(), "all removed again");
    }

    private static Path awaitFile(Path file) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < deadline) {
            try {
                if (Files.size(file) > 0) {
                    return file;
                }
            } catch (java.io.IOException e) {
                // not there yet
            }
            Thread.sleep(50);
        }
        return file;
    }
}
