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
