package dev.earshot.gateway;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The packaged distribution ({@code target/quarkus-app}) run as a user runs it: {@code java -jar quarkus-run.jar},
 * with the bundled model, from another working directory.
 */
class PackagedGatewayIT {

    private static final Path APP = Path.of("target/quarkus-app/quarkus-run.jar").toAbsolutePath();

    @TempDir
    Path workDir;

    private Process launch(Path log, String... options) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(List.of(options));
        command.add("-jar");
        command.add(APP.toString());
        return new ProcessBuilder(command).directory(workDir.toFile())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    @Test
    void startsOnTheBundledModelTranscribesAndStopsCleanlyOnSigterm() throws Exception {
        int port = freePort();
        Path log = workDir.resolve("gateway.log");
        Process gateway = launch(log, "-Dquarkus.http.port=" + port, "-Dearshot.ingest.vosk.port=" + freePort(),
                "-Dearshot.ingest.wyoming.port=" + freePort());
        try {
            HttpClient client = HttpClient.newHttpClient();
            URI ready = URI.create("http://127.0.0.1:" + port + "/q/health/ready");
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            int status = 0;
            while (status != 200 && System.nanoTime() < deadline && gateway.isAlive()) {
                try {
                    status = client.send(HttpRequest.newBuilder(ready).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
                } catch (IOException notYet) {
                    Thread.sleep(200);
                }
            }
            assertEquals(200, status, "ready within 60 s; log:\n" + Files.readString(log));
            assertTrue(Files.readString(log).contains("Earshot is ready: console http://127.0.0.1:" + port + "/"));
            assertTrue(Files.readString(log).contains("vosk-server WebSocket endpoint on ws://127.0.0.1:"), "vosk endpoint started");
            assertTrue(Files.readString(log).contains("Wyoming STT server on tcp://127.0.0.1:"), "Wyoming server started");
            HttpResponse<String> reply = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/transcribe"))
                    .header("Content-Type", "audio/wav")
                    .POST(HttpRequest.BodyPublishers.ofFile(SpeechFixtures.DATA.resolve("librivox/sense_and_sensibility_01_austen_64kb-0930.wav")))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, reply.statusCode(), reply.body());
            assertTrue(reply.body().contains("\"text\":\"he might even have been made amiable himself\""), reply.body());
        } finally {
            gateway.destroy(); // SIGTERM
        }
        assertTrue(gateway.waitFor(30, TimeUnit.SECONDS), "exited within 30 s of SIGTERM");
        // 143 = 128 + SIGTERM: the JVM's status once its shutdown hooks (Quarkus's orderly stop) have run.
        assertEquals(143, gateway.exitValue(), "exit code after SIGTERM; log:\n" + Files.readString(log));
        String output = Files.readString(log);
        assertTrue(output.contains("pipeline 'default' stopped"), output);
        assertTrue(output.contains("earshot stopped in"), output);
    }

    @Test
    void unknownEngineFailsStartUpNamingThePipelineKeyAndAvailableEngines() throws Exception {
        Path log = workDir.resolve("gateway.log");
        Process gateway = launch(log, "-Dquarkus.http.port=" + freePort(), "-Dearshot.ingest.vosk.port=" + freePort(),
                "-Dearshot.ingest.wyoming.port=" + freePort(), "-Dearshot.pipelines.kitchen.engine=vosky");
        assertTrue(gateway.waitFor(60, TimeUnit.SECONDS), "start-up failed within 60 s");
        String output = Files.readString(log);
        assertTrue(gateway.exitValue() != 0, "non-zero exit code");
        assertTrue(output.contains("pipeline 'kitchen': unknown engine 'vosky' (earshot.pipelines.kitchen.engine; available: vosk"),
                output);
    }
}
