package dev.earshot.gateway;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The linux/arm64 image (a Raspberry Pi's platform) built by {@code deploy/build-images --arch arm64} and run under
 * qemu-user-static emulation: the default Vosk pipeline stops with the message naming
 * {@code earshot.engines.vosk.library-path} (the Vosk jar has no aarch64 libvosk.so), the PocketSphinx fallback
 * (profile {@code pocketsphinx}) is healthy and transcribes a LibriVox clip as well as it does on x86-64, and WHIP
 * answers an offer: webrtc-java's linux-aarch64 library loaded and made its peer-connection factory.
 */
class Arm64ImageIT {

    private static final String CLIP = "sense_and_sensibility_01_austen_64kb-0930.wav";

    @TempDir
    Path workDir;

    @Test
    void arm64ImageRunsTheFallbackEngineLoadsWebRtcAndNamesTheMissingLibvosk() throws Exception {
        Podman.require("podman", "runc", "debootstrap", "qemu-aarch64-static", "update-binfmts");
        long started = System.nanoTime();
        String image = Podman.buildImage("arm64");
        System.out.printf("Arm64ImageIT: image %s ready in %d s%n", image, Duration.ofNanos(System.nanoTime() - started).toSeconds());
        assertEquals("arm64", Podman.podman(Duration.ofSeconds(30), "image", "inspect", "--format", "{{.Architecture}}", image)
                .assertOk("podman image inspect").output().strip());
        String manifest = image.substring(0, image.length() - "-arm64".length());
        String listed = Podman.podman(Duration.ofSeconds(30), "manifest", "inspect", manifest).assertOk("manifest inspect").output();
        assertTrue(listed.contains("\"architecture\": \"arm64\""), listed);

        // The default engine: no aarch64 libvosk.so in the image, so start-up stops and names the key to set.
        try (GatewayContainer vosk = GatewayContainer.start(image)) {
            long deadline = System.nanoTime() + Duration.ofMinutes(4).toNanos();
            while (!"exited".equals(vosk.state()) && System.nanoTime() < deadline) {
                Thread.sleep(1_000);
            }
            String log = vosk.logs();
            assertEquals("exited", vosk.state(), "the Vosk pipeline without libvosk.so stops the gateway; log:\n" + log);
            assertNotEquals(0, vosk.exitCode(), log);
            assertTrue(log.contains("earshot.engines.vosk.library-path"), log);
        }

        String x86 = fallbackTextOnThisHost();
        try (GatewayContainer pi = GatewayContainer.start(image, "-e", "QUARKUS_PROFILE=pocketsphinx")) {
            long run = System.nanoTime();
            String health = pi.awaitReady(Duration.ofMinutes(5));
            System.out.printf("Arm64ImageIT: ready %d s after podman run (emulated)%n", Duration.ofNanos(System.nanoTime() - run).toSeconds());
            assertTrue(health.contains("\"status\": \"UP\"") || health.contains("\"status\":\"UP\""), health);
            assertTrue(pi.exec("uname", "-m").output().contains("aarch64"), "runs as aarch64");

            HttpResponse<String> reply = pi.transcribe(SpeechFixtures.LIBRIVOX.resolve(CLIP));
            assertEquals(200, reply.statusCode(), reply.body());
            String arm = GatewayContainer.text(reply.body());
            String reference = SpeechFixtures.librivoxReferences().get(CLIP);
            int armErrors = SpeechFixtures.wordErrors(reference, arm);
            int x86Errors = SpeechFixtures.wordErrors(reference, x86);
            System.out.printf("Arm64ImageIT: PocketSphinx word errors arm64 %d, x86-64 %d of %d ('%s' / '%s')%n",
                    armErrors, x86Errors, SpeechFixtures.words(reference), arm, x86);
            assertTrue(armErrors <= x86Errors + 1, "arm64 '" + arm + "' vs x86-64 '" + x86 + "' for '" + reference + "'");

            // WHIP: the gateway's peer-connection factory from webrtc-java's linux-aarch64 library answers an offer.
            pi.assertWhipAnswers();

            Podman.podman(Duration.ofSeconds(90), "stop", "-t", "60", pi.name).assertOk("podman stop");
            assertEquals(0, pi.exitCode(), "exit code after podman stop; log:\n" + pi.logs());
        }
    }

    /** The fallback profile's text for the clip from the distribution on this (x86-64) host. */
    private String fallbackTextOnThisHost() throws Exception {
        PackagedGateway gateway = PackagedGateway.launch(workDir, workDir.resolve("gateway.log"), PackagedGateway.freePort(),
                "-Dquarkus.profile=pocketsphinx");
        try {
            assertEquals(200, gateway.awaitReady(Duration.ofSeconds(60)), "ready; log:\n" + gateway.output());
            HttpResponse<String> reply = gateway.client.send(gateway.upload(SpeechFixtures.LIBRIVOX.resolve(CLIP)),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, reply.statusCode(), reply.body());
            return GatewayContainer.text(reply.body());
        } finally {
            gateway.process.destroy();
            gateway.process.waitFor();
        }
    }
}
