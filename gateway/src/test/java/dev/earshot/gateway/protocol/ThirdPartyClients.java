package dev.earshot.gateway.protocol;

import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Runs the protocol clients in {@code src/test/resources/clients}: Python scripts that are not Earshot code, run
 * with Debian's {@code /usr/bin/python3} (the vosk client needs Debian's {@code python3-websockets}; .ci/run installs
 * it).
 */
public final class ThirdPartyClients {

    static final String PYTHON = "/usr/bin/python3";

    private ThirdPartyClients() {
    }

    /** Starts a client; its output is read by {@link #replies}. */
    static Process start(String script, String... args) throws IOException {
        return startFrom(null, script, args);
    }

    /** Starts a client that connects from the local address {@code bind} (e.g. 127.0.0.2; null: any). */
    public static Process startFrom(String bind, String script, String... args) throws IOException {
        if (!Files.isExecutable(Path.of(PYTHON))) {
            throw new IllegalStateException(PYTHON + " is missing: install Debian's python3 and python3-websockets (.ci/run does)");
        }
        List<String> command = new ArrayList<>(List.of(PYTHON, script(script).toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        if (bind != null) {
            builder.environment().put("CLIENT_BIND", bind);
        }
        return builder.start();
    }

    /** Waits for the client to exit 0 and returns its output lines, each a JSON object. */
    public static List<JsonObject> replies(Process process) throws Exception {
        java.util.concurrent.CompletableFuture<String> read = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return new String(process.getInputStream().readAllBytes());
            } catch (IOException e) {
                return "(output unreadable: " + e + ")";
            }
        });
        if (!process.waitFor(180, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("client did not finish within 180 s; output:\n" + read.get(10, TimeUnit.SECONDS));
        }
        String output = read.get(10, TimeUnit.SECONDS);
        if (process.exitValue() != 0) {
            throw new AssertionError("client exited with " + process.exitValue() + "; output:\n" + output);
        }
        List<JsonObject> lines = new ArrayList<>();
        for (String line : output.split("\n")) {
            if (!line.isBlank()) {
                try {
                    lines.add(new JsonObject(line));
                } catch (RuntimeException e) {
                    throw new AssertionError("client printed a line that is not a JSON object: " + line + "\n" + output);
                }
            }
        }
        return lines;
    }

    static List<JsonObject> run(String script, String... args) throws Exception {
        return replies(start(script, args));
    }

    /** Transcripts of each request, in order, from the Wyoming client's output; checks the streaming events around them. */
    public static List<String> wyomingTranscripts(List<JsonObject> events) {
        List<String> texts = new ArrayList<>();
        StringBuilder chunks = null;
        for (JsonObject event : events) {
            String type = event.getString("type");
            JsonObject data = event.getJsonObject("data");
            switch (type) {
                case "transcript-start" -> chunks = new StringBuilder();
                case "transcript-chunk" -> chunks.append(data.getString("text"));
                case "transcript" -> {
                    texts.add(data.getString("text"));
                    assertEquals(data.getString("text"), chunks.toString(), "chunks add up to the transcript");
                }
                case "transcript-stop", "info" -> {
                }
                default -> throw new AssertionError("unexpected event " + event + " in " + events);
            }
        }
        return texts;
    }

    /** The non-empty finals of the vosk-server client's replies, joined by spaces. */
    public static String voskFinals(List<JsonObject> replies) {
        return replies.stream().filter(r -> r.containsKey("text")).map(r -> r.getString("text"))
                .filter(t -> !t.isEmpty()).collect(java.util.stream.Collectors.joining(" "));
    }

    private static Path script(String name) {
        try {
            return Path.of(ThirdPartyClients.class.getResource("/clients/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
