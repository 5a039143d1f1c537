package dev.earshot.gateway;

import org.junit.jupiter.api.Test;

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
 * {@code deploy/build-deb}'s package installed with {@code dpkg -i} into a fresh Debian bookworm root filesystem (the
 * cached base of {@code deploy/base-rootfs}): the system user, the conffile and the state directory exist, the unit
 * passes {@code systemd-analyze verify}, and the unit's {@code ExecStart} line, run by hand as the package's user in
 * that root with the unit's {@code Environment=} settings, serves {@code /api/transcribe}.
 *
 * <p>Differences from a real boot, all because other tests share this machine: the root is entered with
 * {@code chroot}, not booted; {@code QUARKUS_HTTP_PORT} and the two protocol ports are set to free ports (the
 * unit's defaults, 8080, 2700 and 10300, may be taken here).
 */
class DebianPackageIT {

    @Test
    void installsIntoAFreshBookwormAndItsExecStartServesTranscriptions() throws Exception {
        Podman.require("dpkg-deb", "debootstrap", "chroot", "systemd-analyze", "mount");
        long started = System.nanoTime();
        String deb = Podman.run(Duration.ofMinutes(10), List.of(Podman.REPO.resolve("deploy/build-deb").toString()))
                .assertOk("deploy/build-deb").output().lines().reduce((a, b) -> b).orElseThrow();
        System.out.printf("DebianPackageIT: %s built in %d s%n", deb, Duration.ofNanos(System.nanoTime() - started).toSeconds());
        assertTrue(deb.endsWith("_all.deb"), deb);
        String base = Podman.run(Duration.ofMinutes(30), List.of(Podman.REPO.resolve("deploy/base-rootfs").toString(), "--arch", "amd64"))
                .assertOk("deploy/base-rootfs").output().lines().reduce((a, b) -> b).orElseThrow();

        Path root = Files.createTempDirectory(Path.of("target").toAbsolutePath(), "deb-install-");
        Process gateway = null;
        try {
            Podman.run(Duration.ofMinutes(5), List.of("tar", "-C", root.toString(), "-xf", base)).assertOk("unpack the base");
            // The top of a root filesystem: the package's user must be able to enter it (tar gives it the archive's mode).
            Files.setPosixFilePermissions(root, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.copy(Path.of(deb), root.resolve("tmp/earshot.deb"));
            Podman.run(Duration.ofSeconds(30), List.of("mount", "-t", "proc", "proc", root.resolve("proc").toString())).assertOk("mount proc");

            long installing = System.nanoTime();
            Podman.Result install = chroot(root, Duration.ofMinutes(5), "dpkg", "-i", "/tmp/earshot.deb").assertOk("dpkg -i");
            System.out.printf("DebianPackageIT: dpkg -i in %d ms%n", Duration.ofNanos(System.nanoTime() - installing).toMillis());
            assertTrue(install.output().contains("Setting up earshot"), install.output());
            String user = chroot(root, Duration.ofSeconds(30), "getent", "passwd", "earshot").assertOk("the system user").output();
            assertTrue(user.contains("/var/lib/earshot") && user.contains("nologin"), user);
            String uid = chroot(root, Duration.ofSeconds(30), "id", "-u", "earshot").assertOk("id").output().strip();
            String gid = chroot(root, Duration.ofSeconds(30), "id", "-g", "earshot").assertOk("id").output().strip();
            assertTrue(Integer.parseInt(uid) < 1000, "a system user: uid " + uid);
            assertTrue(chroot(root, Duration.ofSeconds(30), "dpkg-query", "-W", "-f=${Conffiles}", "earshot").output()
                    .contains("/etc/earshot/application.properties"), "the settings are a conffile");
            assertEquals(uid, chroot(root, Duration.ofSeconds(30), "stat", "-c", "%u", "/var/lib/earshot").output().strip(),
                    "/var/lib/earshot belongs to the service's user");

            Path unit = root.resolve("lib/systemd/system/earshot.service");
            // Against this host's systemd (a minbase root has none): the installed unit file as the package wrote it.
            Podman.Result verify = Podman.run(Duration.ofMinutes(1), List.of("systemd-analyze", "verify", unit.toString()))
                    .assertOk("systemd-analyze verify");
            assertTrue(verify.output().isBlank(), "systemd-analyze verify has no complaint: " + verify.output());
            String execStart = Files.readAllLines(unit).stream().filter(l -> l.startsWith("ExecStart=")).findFirst()
                    .orElseThrow().substring("ExecStart=".length());
            for (String setting : List.of("User=earshot", "ProtectSystem=strict", "StateDirectory=earshot", "NoNewPrivileges=yes")) {
                assertTrue(Files.readAllLines(unit).contains(setting), "the unit has " + setting);
            }

            int port = PackagedGateway.freePort();
            List<String> command = new ArrayList<>(List.of("chroot", "--userspec=" + uid + ":" + gid, root.toString(),
                    "/usr/bin/env", "-i", "PATH=/usr/bin:/bin", "HOME=/var/lib/earshot", "QUARKUS_HTTP_PORT=" + port,
                    "EARSHOT_INGEST_VOSK_PORT=" + PackagedGateway.freePort(),
                    "EARSHOT_INGEST_WYOMING_PORT=" + PackagedGateway.freePort()));
            // The unit's Environment= lines (the Pi profile's malloc settings), as systemd sets them.
            Files.readAllLines(unit).stream().filter(l -> l.startsWith("Environment=")).map(l -> l.substring("Environment=".length()))
                    .forEach(command::add);
            command.addAll(List.of("/bin/sh", "-c", "cd /var/lib/earshot && exec " + execStart));
            Path log = root.resolve("tmp/gateway.log");
            gateway = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            HttpClient client = HttpClient.newHttpClient();
            URI ready = URI.create("http://127.0.0.1:" + port + "/q/health/ready");
            int status = -1;
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            while (status != 200 && System.nanoTime() < deadline && gateway.isAlive()) {
                try {
                    status = client.send(HttpRequest.newBuilder(ready).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
                } catch (java.io.IOException e) {
                    Thread.sleep(300);
                }
            }
            assertEquals(200, status, "ready; log:\n" + Files.readString(log));
            HttpResponse<String> reply = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/transcribe"))
                    .header("Content-Type", "audio/wav")
                    .POST(HttpRequest.BodyPublishers.ofFile(SpeechFixtures.LIBRIVOX.resolve("sense_and_sensibility_01_austen_64kb-0930.wav")))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, reply.statusCode(), reply.body());
            assertEquals("he might even have been made amiable himself", GatewayContainer.text(reply.body()));
            String output = Files.readString(log);
            assertTrue(output.contains("Listening on: http://127.0.0.1:" + port), "loopback only by default; log:\n" + output);

            gateway.destroy(); // SIGTERM, as systemctl stop sends it
            assertTrue(gateway.waitFor(40, TimeUnit.SECONDS), "stopped within TimeoutStopSec");
            assertEquals(0, gateway.exitValue(), "exit code; log:\n" + Files.readString(log));
        } finally {
            if (gateway != null && gateway.isAlive()) {
                gateway.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            Podman.run(Duration.ofSeconds(30), List.of("umount", root.resolve("proc").toString()));
            Podman.run(Duration.ofMinutes(2), List.of("rm", "-rf", "--one-file-system", root.toString()));
        }
    }

    private static Podman.Result chroot(Path root, Duration timeout, String... command) throws Exception {
        List<String> args = new ArrayList<>(List.of("chroot", root.toString()));
        args.addAll(List.of(command));
        return Podman.run(timeout, args);
    }
}
