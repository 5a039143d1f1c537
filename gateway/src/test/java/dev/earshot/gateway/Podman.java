package dev.earshot.gateway;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Host tools of the container and packaging tests (podman, debootstrap, qemu, dpkg-deb), run as processes with the
 * project's podman settings ({@code deploy/containers.conf}). Where a tool is missing the test is skipped on a
 * developer's machine but <em>fails</em> in CI ({@code CI=true}): .ci/run installs them, so a skip there would hide
 * a broken setup.
 */
public final class Podman {

    public static final Path REPO = Path.of("..").toAbsolutePath().normalize();
    static final Path CONTAINERS_CONF = REPO.resolve("deploy/containers.conf");

    /** Exit status and combined output of a finished command. */
    public record Result(int status, String output) {
        public Result assertOk(String what) {
            if (status != 0) {
                throw new AssertionError(what + " failed with status " + status + ":\n" + output);
            }
            return this;
        }
    }

    private Podman() {
    }

    /** Each tool must be on the PATH, and the tests run as root (rootful podman, chroot, mount). */
    public static void require(String... tools) {
        List<String> missing = new ArrayList<>();
        for (String tool : tools) {
            boolean found = false;
            for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
                found |= Files.isExecutable(Path.of(dir, tool));
            }
            for (String dir : List.of("/usr/sbin", "/sbin")) {
                found |= Files.isExecutable(Path.of(dir, tool));
            }
            if (!found) {
                missing.add(tool);
            }
        }
        String user = System.getProperty("user.name");
        String problem = !missing.isEmpty() ? "missing " + missing + " (.ci/run installs them)"
                : !"root".equals(user) ? "needs root (rootful podman, chroot), running as " + user : null;
        if (problem == null) {
            return;
        }
        if ("true".equals(System.getenv("CI"))) {
            throw new AssertionError("CI=true and this test cannot run: " + problem);
        }
        Assumptions.abort(problem);
    }

    /** Runs a command with the project's podman settings; kills it when it outlives the timeout. */
    public static Result run(Duration timeout, List<String> command) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("CONTAINERS_CONF", CONTAINERS_CONF.toString());
        Path output = Files.createTempFile("earshot-cmd", ".log");
        try {
            Process process = builder.redirectOutput(output.toFile()).start();
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                throw new AssertionError(String.join(" ", command) + " did not finish within " + timeout + ":\n"
                        + Files.readString(output, StandardCharsets.UTF_8));
            }
            return new Result(process.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(output);
        }
    }

    public static Result podman(Duration timeout, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("podman"));
        command.addAll(List.of(args));
        return run(timeout, command);
    }

    /**
     * {@code deploy/build-images --arch ARCH}: the image of this build's distribution for that architecture (the base
     * comes from the cache when it is there: about 10 min for amd64 and 20 min for arm64 when it is not).
     */
    public static String buildImage(String arch) throws IOException, InterruptedException {
        Result built = run(Duration.ofMinutes(30), List.of(REPO.resolve("deploy/build-images").toString(), "--arch", arch))
                .assertOk("deploy/build-images --arch " + arch);
        System.out.println(built.output());
        return built.output().lines().filter(l -> l.endsWith("-" + arch)).reduce((a, b) -> b)
                .orElseThrow(() -> new AssertionError("no image named in:\n" + built.output()));
    }

    /** Removes a container and its anonymous volumes, whatever its state; for finally blocks. */
    public static void removeContainer(String name) {
        try {
            podman(Duration.ofSeconds(60), "rm", "-f", "-v", "-t", "0", name); // -v: its anonymous volumes too
        } catch (IOException | InterruptedException | AssertionError e) {
            System.err.println("cannot remove container " + name + ": " + e);
        }
    }
}
