package dev.earshot.gateway;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A private network link for tests that need clients on other addresses: a network namespace with one end of a veth
 * pair ({@value #CLIENT_ADDRESS} and {@value #SECOND_CLIENT_ADDRESS}), the other end ({@value #HOST_ADDRESS}) in this
 * one, where the gateway listens. Made once per test JVM, removed when it exits. Needs root and iproute2 (CI runs as
 * root).
 */
public final class TestLink {

    public static final String HOST_ADDRESS = "169.254.77.1";
    public static final String CLIENT_ADDRESS = "169.254.77.2";
    public static final String SECOND_CLIENT_ADDRESS = "169.254.77.3";
    public static final String PYTHON = "/usr/bin/python3";
    private static final long PID = ProcessHandle.current().pid();
    public static final String NAMESPACE = "earshot-client-" + PID;
    private static final String HOST_END = "esh" + PID % 1_000_000;
    private static final String CLIENT_END = "esc" + PID % 1_000_000;
    private static boolean up;

    private TestLink() {
    }

    public static synchronized void up() {
        if (up) {
            return;
        }
        // A link left by a test JVM that was killed holds the address: remove it first.
        for (String line : run(false, "ip", "-o", "addr", "show", "to", HOST_ADDRESS + "/29").split("\n")) {
            String[] fields = line.trim().split("\\s+");
            if (fields.length > 1) {
                run(false, "ip", "link", "del", fields[1].replaceAll("@.*", "").replace(":", ""));
            }
        }
        run(false, "ip", "netns", "del", NAMESPACE);
        run(true, "ip", "netns", "add", NAMESPACE);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            run(false, "ip", "link", "del", HOST_END);
            run(false, "ip", "netns", "del", NAMESPACE);
        }, "test-link-cleanup"));
        run(true, "ip", "link", "add", HOST_END, "type", "veth", "peer", "name", CLIENT_END);
        run(true, "ip", "link", "set", CLIENT_END, "netns", NAMESPACE);
        run(true, "ip", "addr", "add", HOST_ADDRESS + "/29", "dev", HOST_END);
        run(true, "ip", "link", "set", HOST_END, "up");
        run(true, "ip", "netns", "exec", NAMESPACE, "ip", "addr", "add", CLIENT_ADDRESS + "/29", "dev", CLIENT_END);
        run(true, "ip", "netns", "exec", NAMESPACE, "ip", "addr", "add", SECOND_CLIENT_ADDRESS + "/29", "dev", CLIENT_END);
        run(true, "ip", "netns", "exec", NAMESPACE, "ip", "link", "set", CLIENT_END, "up");
        run(true, "ip", "netns", "exec", NAMESPACE, "ip", "link", "set", "lo", "up");
        up = true;
    }

    /**
     * Sends raw HTTP requests ({@code method}, {@code path}, {@code headers}) from the client's namespace; their
     * statuses in order (-1: no answer).
     */
    public static List<Integer> statuses(String host, int port, JsonArray list) throws Exception {
        Path script = Path.of(TestLink.class.getResource("/access/raw_http.py").toURI());
        Process process = new ProcessBuilder("ip", "netns", "exec", NAMESPACE, PYTHON, script.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try (var stdin = process.getOutputStream()) {
            stdin.write(new JsonObject().put("host", host).put("port", port).put("requests", list).encode()
                    .getBytes(StandardCharsets.UTF_8));
        }
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(120, TimeUnit.SECONDS) || process.exitValue() != 0) {
            process.destroyForcibly();
            throw new AssertionError("the client in " + NAMESPACE + " failed: " + output);
        }
        List<Integer> statuses = new ArrayList<>();
        new JsonArray(output.trim()).forEach(status -> statuses.add(((Number) status).intValue()));
        return statuses;
    }

    /** Runs a command in the client's namespace; its output, or an AssertionError when it fails. */
    public static String exec(String... command) {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", NAMESPACE));
        full.addAll(List.of(command));
        try {
            return run(true, full.toArray(String[]::new));
        } catch (IllegalStateException e) {
            throw new AssertionError("the client in " + NAMESPACE + " failed: " + e.getMessage(), e);
        }
    }

    private static String run(boolean mustSucceed, String... command) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            boolean done = process.waitFor(30, TimeUnit.SECONDS);
            if (mustSucceed && (!done || process.exitValue() != 0)) {
                throw new IllegalStateException(String.join(" ", command) + " failed (the test link needs root and "
                        + "iproute2): " + output.trim());
            }
            return output;
        } catch (IOException e) {
            if (mustSucceed) {
                throw new IllegalStateException(String.join(" ", command) + ": " + e.getMessage()
                        + " (the test link needs iproute2: apt-get install iproute2)", e);
            }
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
