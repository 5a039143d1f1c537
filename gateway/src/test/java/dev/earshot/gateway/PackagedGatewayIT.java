package dev.earshot.gateway;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The packaged distribution run as a user runs it (see {@link PackagedGateway}), with the bundled model. */
class PackagedGatewayIT {

    @TempDir
    Path workDir;

    @Test
    void startsOnTheBundledModelTranscribesAndStopsCleanlyOnSigterm() throws Exception {
        int port = PackagedGateway.freePort();
        Path log = workDir.resolve("gateway.log");
        PackagedGateway packaged = PackagedGateway.launch(workDir, log, port);
        Process gateway = packaged.process;
        try {
            HttpClient client = packaged.client;
            assertEquals(200, packaged.awaitReady(Duration.ofSeconds(60)), "ready within 60 s; log:\n" + Files.readString(log));
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
        // SIGTERM is a requested stop: status 0 (the JVM's default would be 143 = 128 + SIGTERM).
        assertEquals(0, gateway.exitValue(), "exit code after SIGTERM; log:\n" + Files.readString(log));
        String output = Files.readString(log);
        assertTrue(output.contains("pipeline 'default' stopped"), output);
        assertTrue(output.contains("earshot stopped in"), output);
    }

    /**
     * The vosk-server and Wyoming listeners on ephemeral ports (0) beside a fixed HTTP port: Vert.x metrics of HTTP
     * servers with and without a port tag once collided in the Prometheus registry, the collision was thrown inside
     * a server's bind callback, Quarkus never finished starting and SIGTERM could not stop the process.
     */
    @Test
    void ephemeralListenerPortsBesideAFixedHttpPortStartAndStopCleanly() throws Exception {
        int port = PackagedGateway.freePort();
        Path log = workDir.resolve("gateway.log");
        PackagedGateway packaged = PackagedGateway.launch(workDir, log, port,
                "-Dearshot.ingest.vosk.port=0", "-Dearshot.ingest.wyoming.port=0");
        Process gateway = packaged.process;
        try {
            checkStartedAndStopsOnSigterm(packaged, port, log);
        } finally {
            if (gateway.isAlive()) {
                gateway.destroyForcibly().waitFor(10, TimeUnit.SECONDS); // a gateway that did not stop is not left behind
            }
        }
    }

    private static void checkStartedAndStopsOnSigterm(PackagedGateway packaged, int port, Path log) throws Exception {
        Process gateway = packaged.process;
        try {
            assertEquals(200, packaged.awaitReady(Duration.ofSeconds(60)), "ready within 60 s; log:\n" + Files.readString(log));
            long started = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (!Files.readString(log).contains("Listening on: http://127.0.0.1:" + port) && System.nanoTime() < started) {
                Thread.sleep(50);
            }
            String output = Files.readString(log);
            assertTrue(output.contains("Listening on: http://127.0.0.1:" + port), "Quarkus finished starting; log:\n" + output);
            assertFalse(output.contains("Prometheus requires"), "no meter collision; log:\n" + output);
        } finally {
            gateway.destroy(); // SIGTERM
        }
        assertTrue(gateway.waitFor(30, TimeUnit.SECONDS), "exited within 30 s of SIGTERM; log:\n" + Files.readString(log));
        assertEquals(0, gateway.exitValue(), "exit code after SIGTERM; log:\n" + Files.readString(log));
    }

    @Test
    void unknownEngineFailsStartUpNamingThePipelineKeyAndAvailableEngines() throws Exception {
        Path log = workDir.resolve("gateway.log");
        Process gateway = PackagedGateway.launch(workDir, log, PackagedGateway.freePort(),
                "-Dearshot.pipelines.kitchen.engine=vosky").process;
        assertTrue(gateway.waitFor(60, TimeUnit.SECONDS), "start-up failed within 60 s");
        String output = Files.readString(log);
        assertTrue(gateway.exitValue() != 0, "non-zero exit code");
        assertTrue(output.contains("pipeline 'kitchen': unknown engine 'vosky' (earshot.pipelines.kitchen.engine; available: vosk"),
                output);
    }
}
