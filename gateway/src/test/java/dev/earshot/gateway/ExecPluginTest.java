package dev.earshot.gateway;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.restassured.RestAssured.given;
import static io.restassured.RestAssured.when;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The exec plugin in the running gateway, configured like a user would, with real programs and real speech: sox
 * writes the five LibriVox clips (raw PCM, or WAV) to an exec source, Vosk decodes them, and a Python program behind
 * an exec sink acknowledges each final. Checked: the transcripts match the reference as well as an upload of the same
 * audio does; every final reaches the program once, in order; killed mid-stream it is restarted and nothing is lost
 * (a final it saw but had not acknowledged comes again, with the same id); a program that never acknowledges leaves
 * the finals in the spool; a source program that exits at once is restarted with back-off and counted.
 */
@QuarkusTest
@TestProfile(ExecPluginTest.Programs.class)
class ExecPluginTest {

    static final Path OUT = Path.of("target/exec-test").toAbsolutePath();
    static final String ACK_SINK = Path.of("../plugins/exec/src/test/resources/programs/ack_sink.py").toAbsolutePath()
            .normalize().toString();

    public static final class Programs implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            String clips = String.join(" ", SpeechFixtures.librivoxReferences().keySet().stream()
                    .map(c -> SpeechFixtures.LIBRIVOX.resolve(c).toString()).toList());
            Map<String, String> config = new HashMap<>();
            // A run starts from nothing: no output files and no spool left by an earlier run of this test.
            deleteTree(OUT);
            config.put("earshot.data-dir", OUT.resolve("data").toString());
            source(config, "rawspeech", clips + " -t raw -r 16000 -e signed -b 16 -c 1 -", "raw");
            source(config, "wavspeech", clips + " -t wav -", "auto");
            config.put("earshot.sources.quitter.type", "exec");
            config.put("earshot.sources.quitter.command", "/bin/false");
            config.put("earshot.sources.quitter.restart-backoff-min", "200ms");
            config.put("earshot.sources.quitter.restart-backoff-max", "800ms");
            sink(config, "acks-raw", "raw");
            sink(config, "acks-wav", "wav");
            sink(config, "acks-killed", "killed");
            sink(config, "acks-never", "never");
            config.put("earshot.sinks.acks-never.env.NEVER_ACK", "1");
            config.put("earshot.sinks.acks-never.ack-timeout", "300ms");
            pipeline(config, "execraw", "rawspeech", "acks-raw,truth-raw");
            pipeline(config, "execwav", "wavspeech", "acks-wav,truth-wav");
            pipeline(config, "execkilled", "rawspeech", "acks-killed,truth-killed");
            pipeline(config, "execnever", "rawspeech", "acks-never,truth-never");
            pipeline(config, "execquitter", "quitter", "log");
            return config;
        }

        private static void deleteTree(Path dir) {
            if (!Files.exists(dir)) {
                return;
            }
            try (var paths = Files.walk(dir)) {
                for (Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(path);
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        private static void source(Map<String, String> config, String id, String args, String format) {
            config.put("earshot.sources." + id + ".type", "exec");
            config.put("earshot.sources." + id + ".command", "sox");
            config.put("earshot.sources." + id + ".args", args);
            config.put("earshot.sources." + id + ".format", format);
            config.put("earshot.sources." + id + ".restart", "never");
        }

        private static void sink(Map<String, String> config, String id, String name) {
            config.put("earshot.sinks." + id + ".type", "exec");
            config.put("earshot.sinks." + id + ".command", "/usr/bin/python3");
            config.put("earshot.sinks." + id + ".args", ACK_SINK + " " + name);
            config.put("earshot.sinks." + id + ".env.EVENTS_FILE", OUT.resolve(name + "-acks.jsonl").toString());
            config.put("earshot.sinks." + id + ".retry-delay", "200ms");
            config.put("earshot.sinks." + id + ".max-retry-delay", "1s");
            config.put("earshot.sinks.truth-" + name + ".type", "jsonl");
            config.put("earshot.sinks.truth-" + name + ".path", OUT.resolve(name + "-truth.jsonl").toString());
        }

        private static void pipeline(Map<String, String> config, String name, String source, String sinks) {
            config.put("earshot.pipelines." + name + ".enabled", "false");
            config.put("earshot.pipelines." + name + ".source", source);
            config.put("earshot.pipelines." + name + ".engine", "vosk");
            config.put("earshot.pipelines." + name + ".sinks", sinks);
        }
    }

    private static final Pattern ID = Pattern.compile("\"id\": ?\"([^\"]+)\"");
    private static final Pattern TEXT = Pattern.compile("\"text\": ?\"([^\"]*)\"");

    /** id -> text of the finals in a JSON Lines file, in file order; duplicates counted in {@code duplicates}. */
    private static LinkedHashMap<String, String> finals(Path file, List<String> duplicates) throws IOException {
        LinkedHashMap<String, String> finals = new LinkedHashMap<>();
        if (!Files.exists(file)) {
            return finals;
        }
        for (String line : Files.readAllLines(file)) {
            if (!line.contains("\"final\"")) {
                continue;
            }
            Matcher id = ID.matcher(line);
            Matcher text = TEXT.matcher(line);
            assertTrue(id.find() && text.find(), line);
            String previous = finals.putIfAbsent(id.group(1), text.group(1));
            if (previous != null) {
                assertEquals(previous, text.group(1), "a duplicate carries the same event");
                duplicates.add(id.group(1));
            }
        }
        return finals;
    }

    private static void await(BooleanSupplier condition, String what, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting for " + what);
            Thread.sleep(100);
        }
    }

    private static JsonPath pipeline(String name) {
        return when().get("/api/pipelines/" + name).then().statusCode(200).extract().jsonPath();
    }

    private static String sinkField(String pipeline, String sink, String field) {
        return String.valueOf(pipeline(pipeline).getString("sinks.find { it.id == '" + sink + "' }." + field));
    }

    /** Runs a pipeline until its one session is over and every sink of it is idle with nothing queued. */
    private static void runToEnd(String name) throws Exception {
        Files.createDirectories(OUT);
        given().header("X-Earshot-Request", "1").post("/api/pipelines/" + name + "/start").then().statusCode(200);
        await(() -> pipeline(name).getInt("sessions") > 0, "a session in " + name, 30);
        await(() -> pipeline(name).getInt("sessions") == 0, "the session of " + name + " to end", 120);
    }

    private static String reference() {
        return String.join(" ", SpeechFixtures.librivoxReferences().values());
    }

    private static String uploadTranscript() {
        List<String> args = new ArrayList<>();
        SpeechFixtures.librivoxReferences().keySet().forEach(c -> args.add(SpeechFixtures.LIBRIVOX.resolve(c).toString()));
        args.add("OUT");
        Path wav = SpeechFixtures.sox("exec-librivox.wav", args.toArray(String[]::new));
        try {
            return given().contentType("audio/wav").body(Files.readAllBytes(wav)).post("/api/transcribe")
                    .then().statusCode(200).extract().path("text");
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void soxRawAndWavThroughExecSourcesAreTranscribedLikeAnUploadAndEveryFinalIsAcknowledgedOnceInOrder() throws Exception {
        String reference = reference();
        int words = SpeechFixtures.words(reference);
        String upload = uploadTranscript();
        int uploadErrors = SpeechFixtures.wordErrors(reference, upload);
        System.out.printf("exec: upload of the five LibriVox clips: %d errors in %d words (WER %.1f%%)%n", uploadErrors,
                words, 100.0 * uploadErrors / words);
        for (String name : List.of("raw", "wav")) {
            runToEnd("exec" + name);
            String sink = "acks-" + name;
            await(() -> "0".equals(sinkField("exec" + name, sink, "queueDepth"))
                    && "0".equals(sinkField("exec" + name, sink, "spooledEvents")), sink + " idle", 60);
            List<String> duplicates = new ArrayList<>();
            LinkedHashMap<String, String> truth = finals(OUT.resolve(name + "-truth.jsonl"), new ArrayList<>());
            LinkedHashMap<String, String> acked = finals(OUT.resolve(name + "-acks.jsonl"), duplicates);
            assertTrue(truth.size() >= 2, "finals: " + truth);
            assertEquals(List.copyOf(truth.keySet()), List.copyOf(acked.keySet()), "every final, in order");
            assertEquals(List.of(), duplicates, "each exactly once");
            assertEquals(String.valueOf(truth.size()), sinkField("exec" + name, sink, "delivered"));
            String heard = String.join(" ", truth.values());
            int errors = SpeechFixtures.wordErrors(reference, heard);
            System.out.printf("exec: sox %s -> exec source: %d finals delivered, 0 duplicates, %d errors in %d words"
                    + " (WER %.1f%%): %s%n", name, acked.size(), errors, words, 100.0 * errors / words, heard);
            assertTrue(errors <= uploadErrors + 2, "exec source (" + name + ") '" + heard + "': " + errors
                    + " errors; upload '" + upload + "': " + uploadErrors);
        }
    }

    @Test
    void aSinkProgramKilledMidStreamIsRestartedAndLosesNothing() throws Exception {
        Path acks = OUT.resolve("killed-acks.jsonl");
        Files.createDirectories(OUT);
        given().header("X-Earshot-Request", "1").post("/api/pipelines/execkilled/start").then().statusCode(200);
        await(() -> {
            try {
                return Files.exists(acks) && !finals(acks, new ArrayList<>()).isEmpty();
            } catch (IOException e) {
                return false;
            }
        }, "a first acknowledged final", 60);
        ProcessHandle program = ProcessHandle.current().descendants()
                .filter(p -> p.info().arguments().map(a -> String.join(" ", a).contains("ack_sink.py killed")).orElse(false))
                .findFirst().orElseThrow();
        int acknowledgedAtKill = finals(acks, new ArrayList<>()).size();
        program.destroyForcibly();
        program.onExit().get();
        await(() -> pipeline("execkilled").getInt("sessions") == 0, "the session to end", 120);
        // A final in flight at the kill is retried from memory with back-off (neither queued nor spooled meanwhile):
        // wait until the restarted program has acknowledged every final the truth sink got.
        await(() -> {
            try {
                return finals(acks, new ArrayList<>()).keySet()
                        .containsAll(finals(OUT.resolve("killed-truth.jsonl"), new ArrayList<>()).keySet());
            } catch (IOException | RuntimeException e) {
                return false;
            }
        }, "every final acknowledged by the restarted program", 60);
        await(() -> "0".equals(sinkField("execkilled", "acks-killed", "queueDepth"))
                && "0".equals(sinkField("execkilled", "acks-killed", "spooledEvents")), "acks-killed idle", 60);
        List<String> duplicates = new ArrayList<>();
        LinkedHashMap<String, String> truth = finals(OUT.resolve("killed-truth.jsonl"), new ArrayList<>());
        LinkedHashMap<String, String> acked = finals(acks, duplicates);
        assertEquals(List.copyOf(truth.keySet()), List.copyOf(acked.keySet()), "nothing lost, in order");
        assertTrue(duplicates.size() <= 1, "only the final in flight at the kill may come twice: " + duplicates);
        assertTrue(truth.size() > acknowledgedAtKill, "finals after the kill went to a restarted program ("
                + acknowledgedAtKill + " of " + truth.size() + " acknowledged at the kill)");
        System.out.printf("exec: sink program killed after %d of %d finals: all delivered in order, %d duplicate(s) by id %s%n",
                acknowledgedAtKill, truth.size(), duplicates.size(), duplicates);
    }

    @Test
    void finalsNeverAcknowledgedStayInTheSpool() throws Exception {
        runToEnd("execnever");
        LinkedHashMap<String, String> truth = finals(OUT.resolve("never-truth.jsonl"), new ArrayList<>());
        assertTrue(truth.size() >= 2, "finals: " + truth);
        await(() -> String.valueOf(truth.size()).equals(sinkField("execnever", "acks-never", "spooledEvents")),
                "every final spooled", 60);
        assertEquals("0", sinkField("execnever", "acks-never", "delivered"));
        System.out.printf("exec: never-acknowledging program: %d finals, 0 delivered, %s spooled%n", truth.size(),
                sinkField("execnever", "acks-never", "spooledEvents"));
    }

    @Test
    void aSourceProgramThatExitsAtOnceIsRestartedWithBackoffAndCounted() throws Exception {
        long start = System.nanoTime();
        given().header("X-Earshot-Request", "1").post("/api/pipelines/execquitter/start").then().statusCode(200);
        await(() -> opened("execquitter") >= 4, "four runs of /bin/false", 30);
        long elapsedMillis = (System.nanoTime() - start) / 1_000_000;
        given().header("X-Earshot-Request", "1").post("/api/pipelines/execquitter/stop").then().statusCode(200);
        // 200 + 400 + 800 ms of back-off between the four runs.
        assertTrue(elapsedMillis >= 1400, "four runs in " + elapsedMillis + " ms");
        System.out.printf("exec: /bin/false as a source: 4 runs (sessions opened) in %d ms%n", elapsedMillis);
    }

    private static double opened(String pipeline) {
        String metrics = when().get("/q/metrics").then().statusCode(200).extract().asString();
        Matcher m = Pattern.compile("earshot_sessions_opened_total\\{[^}]*pipeline=\"" + pipeline + "\"[^}]*} ([0-9.]+)")
                .matcher(metrics);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }
}
