package dev.earshot.gateway;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The packaged gateway with an out-of-process engine (PocketSphinx behind Wyoming, run by the wyoming-process
 * engine): kill -9 of the engine process during an upload makes readiness DOWN with the engine shown degraded, the
 * upload goes on and readiness recovers once the program is back; SIGTERM to the gateway leaves no engine process
 * behind.
 */
class WyomingEngineIT {

    private static final Path PROGRAM = Path.of("../plugins/wyoming/src/test/resources/programs/wyoming_pocketsphinx.py")
            .toAbsolutePath().normalize();

    @TempDir
    Path workDir;

    private PackagedGateway gateway;

    @AfterEach
    void killLeftovers() throws java.io.IOException {
        if (gateway != null) {
            // Kept for a look after a failure.
            java.nio.file.Files.copy(gateway.log, Path.of("target/wyoming-engine-it.log"),
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            gateway.process.descendants().forEach(ProcessHandle::destroyForcibly);
            gateway.process.destroyForcibly();
        }
    }

    @Test
    void killedEngineProcessIsRestartedAndSigtermLeavesNoChildBehind() throws Exception {
        List<String> clips = new ArrayList<>();
        for (int round = 0; round < 5; round++) {
            SpeechFixtures.librivoxReferences().keySet().forEach(c -> clips.add(SpeechFixtures.LIBRIVOX.resolve(c).toString()));
        }
        clips.add("OUT");
        Path speech = SpeechFixtures.sox("librivox-5x.wav", clips.toArray(String[]::new));
        gateway = PackagedGateway.launch(workDir, workDir.resolve("gateway.log"), PackagedGateway.freePort(),
                "-Dearshot.engines.sphinx.type=wyoming-process",
                "-Dearshot.engines.sphinx.command=/usr/bin/python3",
                "-Dearshot.engines.sphinx.args=" + PROGRAM,
                "-Dearshot.engines.sphinx.restart-backoff-min=500ms",
                "-Dearshot.pipelines.default.engine=sphinx",
                "-Dearshot.runtime.drain-timeout=5s");
        assertEquals(200, gateway.awaitReady(Duration.ofSeconds(60)), "ready; log:\n" + gateway.output());

        CompletableFuture<HttpResponse<String>> upload = gateway.client.sendAsync(gateway.upload(speech),
                HttpResponse.BodyHandlers.ofString());
        ProcessHandle engine = awaitEngineProcess(null);
        // Mid-stream: once the program has loaded its model and decodes.
        Thread.sleep(2_000);
        Process kill = new ProcessBuilder("kill", "-9", Long.toString(engine.pid())).inheritIO().start();
        assertEquals(0, kill.waitFor());
        long killed = System.nanoTime();

        String degraded = awaitReadiness(503, "degraded");
        assertTrue(degraded.contains("exited with code 137 (signal 9)"), degraded);
        String recovered = awaitReadiness(200, "\"engines\"");
        long recoveredMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed);
        System.out.println("packaged gateway: readiness back " + recoveredMillis + " ms after kill -9 of the engine process");
        assertTrue(recovered.contains("\"sphinx\": \"up\"") || recovered.contains("\"sphinx\":\"up\""), recovered);

        HttpResponse<String> answer = upload.get(120, TimeUnit.SECONDS);
        assertEquals(200, answer.statusCode(), answer.body());
        // What the upload's answer holds after such a cut is covered by the plugin's own kill -9 test, which checks the
        // transcript of the audio after the restart; here the point is the gateway's view and its processes.

        // A session that stays open, so an engine process runs when SIGTERM comes.
        CompletableFuture<HttpResponse<String>> second = gateway.client.sendAsync(gateway.upload(speech),
                HttpResponse.BodyHandlers.ofString());
        ProcessHandle running = awaitEngineProcess(engine);
        List<ProcessHandle> children = gateway.process.descendants().toList();
        assertTrue(children.contains(running));
        gateway.process.destroy();
        assertTrue(gateway.process.waitFor(60, TimeUnit.SECONDS), "exited; log:\n" + gateway.output());
        second.handle((r, e) -> null).get(30, TimeUnit.SECONDS);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (children.stream().anyMatch(ProcessHandle::isAlive) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        List<ProcessHandle> left = children.stream().filter(ProcessHandle::isAlive).toList();
        assertTrue(left.isEmpty(), "engine processes outlived the gateway: " + left);
    }

    /** A python engine process of the gateway's other than {@code not} (the session's; the start-up probe is gone). */
    private ProcessHandle awaitEngineProcess(ProcessHandle not) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            for (ProcessHandle child : gateway.process.descendants().toList()) {
                boolean program = child.info().arguments().map(a -> String.join(" ", a).contains("wyoming_pocketsphinx.py"))
                        .orElse(false);
                if (program && child.isAlive() && (not == null || child.pid() != not.pid())) {
                    return child;
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no engine process; log:\n" + gateway.output());
    }

    private String awaitReadiness(int status, String containing) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        String last = "";
        while (System.nanoTime() < deadline) {
            HttpResponse<String> response = gateway.client.send(HttpRequest.newBuilder(gateway.uri("/q/health/ready"))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            last = response.statusCode() + " " + response.body();
            if (response.statusCode() == status && response.body().contains(containing)) {
                return response.body();
            }
            Thread.sleep(10);
        }
        throw new AssertionError("readiness never " + status + " with '" + containing + "'; last: " + last + "\nlog:\n" + gateway.output());
    }
}
