package dev.earshot.gateway;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The linux/amd64 image built by {@code deploy/build-images} from this build's distribution, run by podman with a
 * read-only root filesystem: it transcribes every LibriVox clip exactly as the distribution does on the host, answers
 * a WHIP offer, runs as uid 10001, cannot write its root filesystem, and drains on {@code podman stop}.
 */
class GatewayImageIT {

    @TempDir
    Path workDir;

    @Test
    void imageServesLikeTheDistributionAsUid10001OnAReadOnlyRootAndDrainsOnStop() throws Exception {
        Podman.require("podman", "runc", "debootstrap");
        long started = System.nanoTime();
        String image = Podman.buildImage("amd64");
        System.out.printf("GatewayImageIT: image %s ready in %d s%n", image, Duration.ofNanos(System.nanoTime() - started).toSeconds());

        Map<String, String> expected = distributionTranscripts();
        try (GatewayContainer container = GatewayContainer.start(image)) {
            long run = System.nanoTime();
            container.awaitReady(Duration.ofSeconds(90));
            System.out.printf("GatewayImageIT: container ready %d ms after podman run%n",
                    Duration.ofNanos(System.nanoTime() - run).toMillis());
            for (Map.Entry<String, String> clip : expected.entrySet()) {
                HttpResponse<String> reply = container.transcribe(SpeechFixtures.LIBRIVOX.resolve(clip.getKey()));
                assertEquals(200, reply.statusCode(), clip.getKey() + ": " + reply.body());
                assertEquals(clip.getValue(), GatewayContainer.text(reply.body()), clip.getKey() + ": the distribution's text");
            }

            // WHIP: webrtc-java's native library loads in the image (it links X11, D-Bus and PulseAudio libraries).
            container.assertWhipAnswers();

            assertEquals("10001", container.exec("id", "-u").assertOk("id -u").output().strip(), "the gateway's uid");
            assertEquals("10001", container.exec("sh", "-c", "stat -c %u /proc/1").output().strip(), "java (PID 1) runs as 10001");
            Podman.Result write = container.exec("sh", "-c", "echo x > /deployments/quarkus-run.jar.new");
            assertNotEquals(0, write.status(), "a write to the root filesystem fails");
            assertTrue(write.output().contains("Read-only file system"), write.output());
            Podman.Result asRoot = container.exec("touch", "/etc/earshot-was-here");
            assertTrue(asRoot.output().contains("Read-only file system") || asRoot.output().contains("Permission denied"),
                    asRoot.output());

            long stopping = System.nanoTime();
            Podman.podman(Duration.ofSeconds(60), "stop", "-t", "40", container.name).assertOk("podman stop");
            System.out.printf("GatewayImageIT: podman stop took %d ms%n", Duration.ofNanos(System.nanoTime() - stopping).toMillis());
            String log = container.logs();
            assertEquals(0, container.exitCode(), "exit code after podman stop; log:\n" + log);
            assertTrue(log.contains("SIGTERM: readiness DOWN, new sessions refused, draining"), log);
            assertTrue(log.contains("earshot drained in"), log);
            assertTrue(log.contains("earshot stopped in"), log);
        }
    }

    /** Each LibriVox clip's text from the distribution on the host (the JVM the tests run on). */
    private Map<String, String> distributionTranscripts() throws Exception {
        Map<String, String> texts = new LinkedHashMap<>();
        PackagedGateway gateway = PackagedGateway.launch(workDir, workDir.resolve("gateway.log"), PackagedGateway.freePort());
        try {
            assertEquals(200, gateway.awaitReady(Duration.ofSeconds(60)), "ready; log:\n" + gateway.output());
            for (String clip : SpeechFixtures.librivoxReferences().keySet()) {
                HttpResponse<String> reply = gateway.client.send(gateway.upload(SpeechFixtures.LIBRIVOX.resolve(clip)),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(200, reply.statusCode(), reply.body());
                texts.put(clip, GatewayContainer.text(reply.body()));
            }
        } finally {
            gateway.process.destroy();
            gateway.process.waitFor();
        }
        assertEquals(5, texts.size(), "five LibriVox clips");
        return texts;
    }
}
