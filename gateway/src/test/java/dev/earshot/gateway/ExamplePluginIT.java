package dev.earshot.gateway;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The third-party example plugin ({@code examples/keyword-alert}, its own pom depending only on the SPI) built with
 * Maven against this build's SPI jar, installed into the packaged gateway through the API, used in a pipeline on real
 * speech, and uninstalled.
 */
class ExamplePluginIT {

    static final Path EXAMPLE = Path.of("../examples/keyword-alert").toAbsolutePath().normalize();
    static final String TOKEN = "plugin-test-token";

    @TempDir
    static Path shared;

    static Path pluginJar;

    /** Builds the example in a copy of its folder (the source tree stays clean), offline, against spi/target's jar. */
    @BeforeAll
    static void buildExample() throws Exception {
        pluginJar = buildExample(shared);
    }

    static Path buildExample(Path into) throws IOException, InterruptedException {
        Path copy = into.resolve("keyword-alert");
        copyTree(EXAMPLE, copy);
        Path spiJar = Path.of(System.getProperty("test.spi.jar")).toAbsolutePath();
        assertTrue(Files.isRegularFile(spiJar), "the SPI jar of this build exists: " + spiJar);
        Path log = into.resolve("example-build.log");
        Path kitJar = Path.of(System.getProperty("test.conformance.jar")).toAbsolutePath();
        assertTrue(Files.isRegularFile(kitJar), "the conformance kit's jar of this build exists: " + kitJar);
        // The example's own build runs the conformance kit's contracts against its plugin and sink.
        Process build = new ProcessBuilder(maven(), "-B", "-o", "-ntp", "-q", "package", "-Dearshot.spi.jar=" + spiJar,
                "-Dearshot.conformance.jar=" + kitJar)
                .directory(copy.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertTrue(build.waitFor(5, TimeUnit.MINUTES), "the example builds within 5 min");
        assertEquals(0, build.exitValue(), "example build; log:\n" + Files.readString(log));
        Path jar = copy.resolve("target/earshot-keyword-alert-1.0.0.jar");
        assertTrue(Files.isRegularFile(jar), jar.toString());
        return jar;
    }

    static String maven() {
        String home = System.getProperty("test.maven.home", "");
        Path mvn = Path.of(home, "bin", "mvn");
        return !home.isEmpty() && Files.isExecutable(mvn) ? mvn.toString() : "mvn";
    }

    static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path file : files.filter(p -> !isBuildOutput(from.relativize(p))).toList()) {
                Path target = to.resolve(from.relativize(file).toString());
                if (Files.isDirectory(file)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(file, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    private static boolean isBuildOutput(Path relative) {
        for (Path name : relative) {
            if (name.toString().equals("target") || name.toString().endsWith(".earshot-build.xml")) {
                return true;
            }
        }
        return false;
    }

    @Test
    void installedThroughTheApiUsedOnRealSpeechAndUninstalled(@TempDir Path workDir) throws Exception {
        Path alerts = workDir.resolve("alerts.log");
        Path data = workDir.resolve("data");
        PackagedGateway gateway = PackagedGateway.launch(workDir, workDir.resolve("gateway.log"), PackagedGateway.freePort(),
                "-Dearshot.api.token=" + TOKEN, "-Dearshot.data-dir=" + data,
                // Configured before the plugin is installed: a disabled pipeline is resolved when it is started.
                "-Dearshot.pipelines.alerts.enabled=false", "-Dearshot.pipelines.alerts.sinks=log,alarm",
                "-Dearshot.sinks.alarm.type=keyword-alert", "-Dearshot.sinks.alarm.keywords=amiable,fire",
                "-Dearshot.sinks.alarm.path=" + alerts);
        try {
            assertEquals(200, gateway.awaitReady(Duration.ofSeconds(60)), "ready; log:\n" + gateway.output());
            byte[] jar = Files.readAllBytes(pluginJar);
            String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(jar));

            // Before: the pipeline cannot start, and says what is missing and what is installed.
            HttpResponse<String> early = send(gateway, post(gateway, "/api/pipelines/alerts/start", TOKEN));
            assertEquals(500, early.statusCode(), early.body());
            assertTrue(early.body().contains("unknown sink type 'keyword-alert'") && early.body().contains("installed plugins: ")
                    && early.body().contains("file 0.") && !early.body().contains("keyword-alert 1.0.0"), early.body());

            assertEquals(401, send(gateway, upload(gateway, "", jar, null)).statusCode(), "no token, no install");
            HttpResponse<String> wrongHash = send(gateway, upload(gateway, "?sha256=" + "0".repeat(64), jar, TOKEN));
            assertEquals(400, wrongHash.statusCode(), wrongHash.body());
            assertTrue(wrongHash.body().contains("0".repeat(64)) && wrongHash.body().contains(sha), wrongHash.body());
            HttpResponse<String> notAJar = send(gateway, upload(gateway, "", "not a jar".getBytes(), TOKEN));
            assertEquals(400, notAJar.statusCode(), notAJar.body());
            assertTrue(notAJar.body().contains("not a jar file"), notAJar.body());
            try (Stream<Path> left = Files.list(data.resolve("installed-plugins"))) {
                assertEquals(List.of(), left.toList(), "refused uploads leave nothing behind");
            }

            HttpResponse<String> installed = send(gateway, upload(gateway, "?sha256=" + sha, jar, TOKEN));
            assertEquals(201, installed.statusCode(), installed.body());
            assertTrue(installed.body().contains("\"name\":\"keyword-alert\"") && installed.body().contains("\"version\":\"1.0.0\"")
                    && installed.body().contains("\"spiVersion\":\"0.1.0-SNAPSHOT\"") && installed.body().contains("\"state\":\"started\""),
                    installed.body());
            assertTrue(Files.isRegularFile(data.resolve("installed-plugins/keyword-alert.jar")));
            HttpResponse<String> again = send(gateway, upload(gateway, "", jar, TOKEN));
            assertEquals(409, again.statusCode(), again.body());
            assertTrue(again.body().contains("plugin 'keyword-alert' is already installed"), again.body());

            HttpResponse<String> started = send(gateway, post(gateway, "/api/pipelines/alerts/start", TOKEN));
            assertEquals(200, started.statusCode(), started.body());
            assertTrue(started.body().contains("\"state\":\"running\""), started.body());
            HttpResponse<String> transcribed = send(gateway, HttpRequest.newBuilder(gateway.uri("/api/transcribe?pipeline=alerts"))
                    .header("Content-Type", "audio/wav").header("Authorization", "Bearer " + TOKEN).POST(HttpRequest.BodyPublishers.ofFile(SpeechFixtures.DATA.resolve(
                    "librivox/sense_and_sensibility_01_austen_64kb-0930.wav"))).build());
            assertEquals(200, transcribed.statusCode(), transcribed.body());
            assertTrue(transcribed.body().contains("he might even have been made amiable himself"), transcribed.body());
            String alert = awaitContent(alerts, Duration.ofSeconds(20));
            assertTrue(alert.matches("(?s)\\S+ alerts amiable: he might even have been made amiable himself\\n"), alert);

            HttpResponse<String> busy = send(gateway, delete(gateway, "/api/plugins/keyword-alert", TOKEN));
            assertEquals(409, busy.statusCode(), busy.body());
            assertTrue(busy.body().contains("used by running pipeline(s) alerts"), busy.body());

            assertEquals(200, send(gateway, post(gateway, "/api/pipelines/alerts/stop", TOKEN)).statusCode());
            HttpResponse<String> removed = send(gateway, delete(gateway, "/api/plugins/keyword-alert", TOKEN));
            assertEquals(200, removed.statusCode(), removed.body());
            assertFalse(Files.exists(data.resolve("installed-plugins/keyword-alert.jar")), "jar deleted");
            HttpResponse<String> list = send(gateway, gateway.request("/api/plugins").build());
            assertFalse(list.body().contains("keyword-alert"), list.body());
            HttpResponse<String> after = send(gateway, post(gateway, "/api/pipelines/alerts/start", TOKEN));
            assertEquals(500, after.statusCode(), after.body());
            assertTrue(after.body().contains("unknown sink type 'keyword-alert'"), after.body());
            // The default pipeline was never affected.
            HttpResponse<String> other = send(gateway, HttpRequest.newBuilder(gateway.uri("/api/transcribe"))
                    .header("Content-Type", "audio/wav").header("Authorization", "Bearer " + TOKEN)
                    .POST(HttpRequest.BodyPublishers.ofFile(SpeechFixtures.DATA.resolve(
                    "librivox/sense_and_sensibility_01_austen_64kb-0930.wav"))).build());
            assertEquals(200, other.statusCode(), other.body());
            assertTrue(gateway.output().contains("plugin 'keyword-alert' 1.0.0 installed from"), gateway.output());

            // The same from the command line (bin/earshot-plugin, curl underneath).
            assertTrue(cli(gateway, workDir, "install", pluginJar.toString()).contains("\"name\":\"keyword-alert\""));
            assertTrue(cli(gateway, workDir, "list").contains("\"name\":\"keyword-alert\""));
            assertTrue(cli(gateway, workDir, "uninstall", "keyword-alert").contains("\"name\":\"keyword-alert\""));
            assertFalse(cli(gateway, workDir, "list").contains("keyword-alert"));
        } finally {
            gateway.process.destroy();
            gateway.process.waitFor(30, TimeUnit.SECONDS);
        }
    }

    /**
     * Pipelines as resources on the packaged gateway, with the commands of docs/plugins.md ("Adding a pipeline at run
     * time"): the example installed with bin/earshot-plugin, a pipeline that uses it as a sink PUT with curl, real speech
     * transcribed into it raises the alert; bad specs get 400 naming the key and change nothing; after a restart the
     * pipeline is back and works; DELETE removes it, and the plugin can then be uninstalled.
     */
    @Test
    void aPipelineAddedAtRunTimeUsesTheInstalledPluginAndComesBackAfterARestart(@TempDir Path workDir) throws Exception {
        Path alerts = workDir.resolve("alerts.log");
        Path data = workDir.resolve("data");
        Path stored = data.resolve("pipelines/alerts.json");
        Path speech = SpeechFixtures.LIBRIVOX.resolve("sense_and_sensibility_01_austen_64kb-0930.wav");
        Files.copy(pluginJar, workDir.resolve("earshot-keyword-alert-1.0.0.jar"));
        Files.copy(speech, workDir.resolve("speech.wav"));
        String[] options = {"-Dearshot.api.token=" + TOKEN, "-Dearshot.data-dir=" + data};
        PackagedGateway[] gateway = {PackagedGateway.launch(workDir, workDir.resolve("gateway.log"), PackagedGateway.freePort(), options)};
        try {
            assertEquals(200, gateway[0].awaitReady(Duration.ofSeconds(60)), "ready; log:\n" + gateway[0].output());
            assertTrue(shell(gateway[0], workDir, "bin/earshot-plugin install earshot-keyword-alert-1.0.0.jar")
                    .contains("\"name\":\"keyword-alert\""));

            // Bad specs: 400 naming the key and the fix; the gateway as it was.
            String before = state(gateway[0]);
            Map<String, String> bad = new java.util.LinkedHashMap<>();
            bad.put("{\"sinks\": [{\"id\": \"alarm\", \"type\": \"keyword-alarm\", \"keywords\": \"fire\"}]}",
                    "earshot.sinks.alarm.type: unknown sink type 'keyword-alarm' (used by pipeline 'alerts'; available: ");
            bad.put("{\"sinks\": [{\"id\": \"alarm\", \"type\": \"keyword-alert\", \"keywords\": \"fire\", \"queue-size\": \"lots\"}]}",
                    "earshot.sinks.alarm.queue-size");
            bad.put("{\"sinks\": [{\"id\": \"alarm\", \"type\": \"keyword-alert\", \"path\": \"" + alerts + "\"}]}",
                    "earshot.sinks.alarm.keywords");
            for (Map.Entry<String, String> spec : bad.entrySet()) {
                HttpResponse<String> refused = send(gateway[0], HttpRequest.newBuilder(gateway[0].uri("/api/pipelines/alerts"))
                        .header("Authorization", "Bearer " + TOKEN).header("Content-Type", "application/json")
                        .PUT(HttpRequest.BodyPublishers.ofString(spec.getKey())).build());
                assertEquals(400, refused.statusCode(), spec.getKey() + " -> " + refused.body());
                assertTrue(refused.body().contains(spec.getValue()), spec.getKey() + " -> " + refused.body());
                assertEquals(before, state(gateway[0]), "unchanged after " + spec.getKey());
                assertFalse(Files.exists(stored), "nothing stored for " + spec.getKey());
            }

            Files.writeString(workDir.resolve("alerts.json"), """
                    {"engine": "vosk",
                     "sinks": ["log", {"id": "alarm", "type": "keyword-alert", "keywords": "amiable,fire", "path": "%s"}]}
                    """.formatted(alerts));
            String put = shell(gateway[0], workDir, PUT_COMMAND);
            assertTrue(put.contains("\"name\":\"alerts\"") && put.contains("\"state\":\"running\"")
                    && put.contains("\"readOnly\":false"), put);
            assertTrue(Files.isRegularFile(stored), "stored in " + stored);
            String transcribed = shell(gateway[0], workDir, TRANSCRIBE_COMMAND);
            assertTrue(transcribed.contains("he might even have been made amiable himself"), transcribed);
            String alert = awaitContent(alerts, Duration.ofSeconds(20));
            assertTrue(alert.matches("(?s)\\S+ alerts amiable: he might even have been made amiable himself\\n"), alert);

            // Restart: the plugin and the pipeline come back, and it works. A corrupt stored spec next to it is logged
            // with its file and skipped, without stopping the others.
            gateway[0].process.destroy();
            assertTrue(gateway[0].process.waitFor(60, TimeUnit.SECONDS), "stopped");
            Path corrupt = data.resolve("pipelines/broken.json");
            Files.writeString(corrupt, "{\"sinks\": [\"log\"");
            gateway[0] = PackagedGateway.launch(workDir, workDir.resolve("gateway-2.log"), PackagedGateway.freePort(), options);
            assertEquals(200, gateway[0].awaitReady(Duration.ofSeconds(60)), "ready again; log:\n" + gateway[0].output());
            HttpResponse<String> back = send(gateway[0], gateway[0].request("/api/pipelines/alerts").build());
            assertEquals(200, back.statusCode(), back.body());
            assertTrue(back.body().contains("\"state\":\"running\"") && back.body().contains("\"type\":\"keyword-alert\"")
                    && back.body().contains("\"readOnly\":false"), back.body());
            assertTrue(gateway[0].output().contains("stored pipeline " + corrupt + " skipped: invalid configuration: the "
                    + "pipeline spec is not valid JSON"), gateway[0].output());
            assertEquals(404, send(gateway[0], gateway[0].request("/api/pipelines/broken").build()).statusCode());
            assertTrue(shell(gateway[0], workDir, TRANSCRIBE_COMMAND).contains("he might even have been made amiable himself"));
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (Files.readAllLines(alerts).size() < 2 && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            List<String> lines = Files.readAllLines(alerts);
            assertEquals(2, lines.size(), lines.toString());
            assertTrue(lines.get(1).endsWith(" alerts amiable: he might even have been made amiable himself"), lines.get(1));

            assertTrue(shell(gateway[0], workDir, DELETE_COMMAND).contains("\"name\":\"alerts\""));
            assertFalse(Files.exists(stored), "stored spec deleted");
            assertEquals(404, send(gateway[0], gateway[0].request("/api/pipelines/alerts").build()).statusCode());
            assertTrue(shell(gateway[0], workDir, "bin/earshot-plugin uninstall keyword-alert").contains("\"name\":\"keyword-alert\""));
            assertFalse(shell(gateway[0], workDir, "bin/earshot-plugin list").contains("keyword-alert"));
        } finally {
            gateway[0].process.destroy();
            gateway[0].process.waitFor(30, TimeUnit.SECONDS);
        }
    }

    /** The commands of docs/plugins.md, "Adding a pipeline at run time", run as written. */
    static final String PUT_COMMAND = "curl -sS -X PUT -H \"Authorization: Bearer $EARSHOT_API_TOKEN\" "
            + "-H 'Content-Type: application/json' --data @alerts.json \"$EARSHOT_URL/api/pipelines/alerts\"";
    static final String TRANSCRIBE_COMMAND = "curl -sS -H \"Authorization: Bearer $EARSHOT_API_TOKEN\" "
            + "-H 'Content-Type: audio/wav' --data-binary @speech.wav \"$EARSHOT_URL/api/transcribe?pipeline=alerts\"";
    static final String DELETE_COMMAND = "curl -sS -X DELETE -H \"Authorization: Bearer $EARSHOT_API_TOKEN\" "
            + "\"$EARSHOT_URL/api/pipelines/alerts\"";

    /** Runs a command line in {@code workDir} with bin/ of the source tree on hand, EARSHOT_URL and the token set. */
    static String shell(PackagedGateway gateway, Path workDir, String command) throws IOException, InterruptedException {
        Files.createDirectories(workDir.resolve("bin"));
        Path cli = workDir.resolve("bin/earshot-plugin");
        if (!Files.exists(cli)) {
            Files.createSymbolicLink(cli, Path.of("../bin/earshot-plugin").toAbsolutePath().normalize());
        }
        ProcessBuilder builder = new ProcessBuilder("sh", "-c", command).directory(workDir.toFile()).redirectErrorStream(true);
        builder.environment().put("EARSHOT_URL", "http://127.0.0.1:" + gateway.port);
        builder.environment().put("EARSHOT_API_TOKEN", TOKEN);
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes());
        assertTrue(process.waitFor(120, TimeUnit.SECONDS), command);
        assertEquals(0, process.exitValue(), command + ": " + output);
        return output;
    }

    /** What a refused change must leave as it was: the pipelines and the plugins, as the API shows them. */
    static String state(PackagedGateway gateway) throws IOException, InterruptedException {
        return send(gateway, gateway.request("/api/pipelines").build()).body() + "\n"
                + send(gateway, gateway.request("/api/plugins").build()).body();
    }

    /**
     * Jars found in the plugins folder at start-up whose start hooks throw and hang: the gateway starts, the enabled
     * pipelines using them fail naming the plugin and the hook, readiness is DOWN and says why, the default pipeline
     * transcribes real speech.
     */
    @Test
    void pluginsWhoseStartHooksThrowOrHangFailOnlyTheirPipelinesAndReadinessSaysWhy(@TempDir Path workDir) throws Exception {
        Path folder = Files.createDirectories(workDir.resolve("data/installed-plugins"));
        dev.earshot.gateway.plugin.PluginJars.build(workDir, "failing.jar", java.util.Map.of("com.example.failing.FailingPlugin", """
                package com.example.failing;
                import dev.earshot.spi.*;
                import dev.earshot.spi.sink.*;
                import java.util.List;
import java.util.Map;
                public final class FailingPlugin implements Plugin {
                    public String name() { return "failing"; }
                    public Iterable<TranscriptSinkFactory> sinkFactories() {
                        return List.of(new TranscriptSinkFactory() {
                            public String name() { return "failing"; }
                            public TranscriptSink create(PluginContext context) { return event -> { }; }
                        });
                    }
                    public void start(PluginContext context) { throw new IllegalStateException("no licence key"); }
                }
                """), dev.earshot.gateway.plugin.PluginJars.metadata("com.example.failing.FailingPlugin", "failing",
                dev.earshot.spi.SpiVersion.CURRENT));
        Files.move(workDir.resolve("failing.jar"), folder.resolve("failing.jar"));
        dev.earshot.gateway.plugin.PluginJars.build(workDir, "hanging.jar", java.util.Map.of("com.example.hanging.HangingPlugin", """
                package com.example.hanging;
                import dev.earshot.spi.*;
                import dev.earshot.spi.hook.*;
                import java.util.List;
import java.util.Map;
                public final class HangingPlugin implements Plugin {
                    public String name() { return "hanging"; }
                    public Iterable<SessionHookFactory> sessionHookFactories() {
                        return List.of(new SessionHookFactory() {
                            public String name() { return "hanging"; }
                            public SessionHook create(PluginContext context) { return new SessionHook() { }; }
                        });
                    }
                    public void start(PluginContext context) throws InterruptedException { Thread.sleep(Long.MAX_VALUE); }
                }
                """), dev.earshot.gateway.plugin.PluginJars.metadata("com.example.hanging.HangingPlugin", "hanging",
                dev.earshot.spi.SpiVersion.CURRENT));
        Files.move(workDir.resolve("hanging.jar"), folder.resolve("hanging.jar"));
        PackagedGateway gateway = PackagedGateway.launch(workDir, workDir.resolve("gateway.log"), PackagedGateway.freePort(),
                "-Dearshot.data-dir=" + workDir.resolve("data"), "-Dearshot.pipelines.broken.sinks=failing",
                "-Dearshot.pipelines.stuck.hooks=hanging", "-Dearshot.runtime.hook-timeout=2s");
        try {
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (gateway.status("/q/health/started") != 200 && System.nanoTime() < deadline && gateway.process.isAlive()) {
                Thread.sleep(200);
            }
            assertEquals(200, gateway.status("/q/health/started"), "started; log:\n" + gateway.output());
            HttpResponse<String> ready = send(gateway, HttpRequest.newBuilder(gateway.uri("/q/health/ready")).build());
            assertEquals(503, ready.statusCode(), ready.body());
            assertTrue(ready.body().replaceAll("\\s", "").contains("\"failing\":\"plugin'failing'hookstartfailed:nolicencekey\""),
                    ready.body());
            assertTrue(ready.body().contains("cannot use plugin 'failing' (for sink 'failing'): plugin 'failing' hook start failed"),
                    ready.body());
            assertTrue(ready.body().contains("plugin 'hanging' hook start did not return within 2000 ms"), ready.body());
            HttpResponse<String> stuck = send(gateway, gateway.request("/api/pipelines/stuck").build());
            assertTrue(stuck.body().contains("\"state\":\"failed\"") && stuck.body().contains(
                    "cannot use plugin 'hanging' (for hook 'hanging'): plugin 'hanging' hook start did not return within 2000 ms"), stuck.body());
            HttpResponse<String> plugin = send(gateway, gateway.request("/api/plugins/failing").build());
            assertTrue(plugin.body().contains("\"state\":\"failed\"") && plugin.body().contains("\"installed\":true"), plugin.body());
            HttpResponse<String> other = send(gateway, gateway.upload(SpeechFixtures.DATA.resolve(
                    "librivox/sense_and_sensibility_01_austen_64kb-0930.wav")));
            assertEquals(200, other.statusCode(), other.body());
            assertTrue(other.body().contains("he might even have been made amiable himself"), other.body());
        } finally {
            gateway.process.destroy();
            gateway.process.waitFor(30, TimeUnit.SECONDS);
        }
    }

    static String cli(PackagedGateway gateway, Path workDir, String... args) throws IOException, InterruptedException {
        List<String> command = new java.util.ArrayList<>(List.of(Path.of("../bin/earshot-plugin").toAbsolutePath().normalize().toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("EARSHOT_URL", "http://127.0.0.1:" + gateway.port);
        builder.environment().put("EARSHOT_API_TOKEN", TOKEN);
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes());
        assertTrue(process.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, process.exitValue(), String.join(" ", args) + ": " + output);
        return output;
    }

    static HttpResponse<String> send(PackagedGateway gateway, HttpRequest request) throws IOException, InterruptedException {
        return gateway.client.send(request, HttpResponse.BodyHandlers.ofString());
    }

    static HttpRequest upload(PackagedGateway gateway, String query, byte[] jar, String token) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(gateway.uri("/api/plugins" + query))
                .header("Content-Type", "application/java-archive").POST(HttpRequest.BodyPublishers.ofByteArray(jar));
        if (token != null) {
            builder.header("Authorization", "Bearer " + token);
        }
        return builder.build();
    }

    static HttpRequest post(PackagedGateway gateway, String path, String token) {
        return HttpRequest.newBuilder(gateway.uri(path)).header("Authorization", "Bearer " + token)
                .POST(HttpRequest.BodyPublishers.noBody()).build();
    }

    static HttpRequest delete(PackagedGateway gateway, String path, String token) {
        return HttpRequest.newBuilder(gateway.uri(path)).header("Authorization", "Bearer " + token).DELETE().build();
    }

    static String awaitContent(Path file, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.isRegularFile(file) && Files.size(file) > 0) {
                return Files.readString(file);
            }
            Thread.sleep(100);
        }
        return Files.isRegularFile(file) ? Files.readString(file) : "(no " + file + ")";
    }
}
