package dev.earshot.gateway.browser;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Runs the Node scripts of {@code src/test/browser/} that drive Debian's Chromium through npm {@code playwright-core}
 * (the browser is never downloaded). The first call installs {@code playwright-core} from the npm registry into
 * {@code target/browser} with {@code npm ci} (the lock file pins it); every call copies the scripts there, so they
 * resolve their imports from that folder. Screenshots and other output belong in {@link #outputDirectory()}.
 */
public final class BrowserScript {

    private static final Path SOURCES = Path.of("src/test/browser");
    private static final Path WORK = Path.of("target/browser");
    private static final Path CHROMIUM = Path.of(System.getenv().getOrDefault("CHROMIUM", "/usr/bin/chromium"));

    private BrowserScript() {
    }

    /** What a script printed and how it ended. */
    public record Result(int exitCode, String stdout, String stderr) {

        /** The last line of standard output: scripts print their JSON result there. */
        public String lastLine() {
            String[] lines = stdout.strip().split("\n");
            return lines[lines.length - 1];
        }

        public String describe() {
            return "exit " + exitCode + "\nstdout:\n" + stdout + "\nstderr:\n" + stderr;
        }
    }

    /** Where scripts put screenshots: {@code target/browser-output}, kept with the build output. */
    public static Path outputDirectory() {
        Path output = Path.of("target/browser-output").toAbsolutePath();
        try {
            Files.createDirectories(output);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return output;
    }

    /**
     * Runs {@code node SCRIPT ARGS...} from {@code target/browser} and waits for it; the process is killed (and the
     * call fails) after {@code timeout}.
     */
    public static Result run(String script, Duration timeout, Map<String, String> environment, String... arguments)
            throws IOException, InterruptedException {
        prepare();
        List<String> command = new ArrayList<>(List.of("node", script));
        command.addAll(List.of(arguments));
        return exec(command, timeout, environment);
    }

    private static synchronized void prepare() throws IOException, InterruptedException {
        if (!Files.isExecutable(CHROMIUM)) {
            throw new IllegalStateException(CHROMIUM + " is missing: browser tests need Debian's chromium "
                    + "(apt-get install chromium; .ci/run installs it)");
        }
        Files.createDirectories(WORK);
        try (Stream<Path> files = Files.list(SOURCES)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                Files.copy(file, WORK.resolve(file.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        Path installed = WORK.resolve("node_modules/playwright-core/package.json");
        if (!Files.exists(installed) || !Files.readString(installed).contains(pinnedVersion())) {
            Result install = exec(List.of("npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts"),
                    Duration.ofMinutes(5), Map.of());
            if (install.exitCode() != 0) {
                throw new IllegalStateException("npm ci in " + WORK.toAbsolutePath() + " failed: " + install.describe());
            }
        }
    }

    private static String pinnedVersion() throws IOException {
        String manifest = Files.readString(SOURCES.resolve("package.json"));
        int at = manifest.indexOf("\"playwright-core\"");
        int start = manifest.indexOf('"', manifest.indexOf(':', at) + 1) + 1;
        return "\"version\": \"" + manifest.substring(start, manifest.indexOf('"', start)) + "\"";
    }

    private static Result exec(List<String> command, Duration timeout, Map<String, String> environment)
            throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command).directory(WORK.toFile());
        builder.environment().putAll(environment);
        Process process = builder.start();
        process.getOutputStream().close();
        CompletableFuture<String> stdout = CompletableFuture.supplyAsync(() -> read(process.getInputStream()));
        CompletableFuture<String> stderr = CompletableFuture.supplyAsync(() -> read(process.getErrorStream()));
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly().waitFor();
            throw new IllegalStateException(String.join(" ", command) + " did not finish within " + timeout
                    + "\nstdout:\n" + stdout.join() + "\nstderr:\n" + stderr.join());
        }
        return new Result(process.exitValue(), stdout.join(), stderr.join());
    }

    private static String read(java.io.InputStream stream) {
        try (stream) {
            return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(unreadable: " + e.getMessage() + ")";
        }
    }
}
