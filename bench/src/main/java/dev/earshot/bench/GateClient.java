package dev.earshot.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * One plain vosk-server client against the packaged gateway, run as its own process with its bundled model and the
 * default pipeline's {@code speech-gate} set as asked: sends a stream in 100 ms binary messages as fast as the endpoint
 * takes them (each send waits for the previous one: the endpoint's back-pressure), then {@code {"eof" : 1}}, and
 * reads the gateway process's CPU time (/proc/PID/stat) around it.
 */
final class GateClient {

    private static final ObjectMapper JSON = new ObjectMapper();

    private GateClient() {
    }

    static Map<String, Object> run(Path app, byte[] warmUp, byte[] pcm, String speechGate) throws Exception {
        if (!Files.isRegularFile(app)) {
            throw new IllegalStateException(app + " is missing: build the distribution first (mvn -B -ntp -q install"
                    + " -DskipTests -DskipITs)");
        }
        Path work = Files.createTempDirectory("earshot-bench-gate");
        int httpPort = GatewayProcess.freePort();
        int voskPort = GatewayProcess.freePort();
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dquarkus.http.port=" + httpPort, "-Dearshot.ingest.vosk.port=" + voskPort,
                "-Dearshot.ingest.wyoming.port=" + GatewayProcess.freePort(), "-Dearshot.pipelines.default.speech-gate=" + speechGate,
                "-Dearshot.data-dir=" + work.resolve("data"), "-Dquarkus.log.level=WARN", "-jar", app.toString());
        Process gateway = new ProcessBuilder(command).directory(work.toFile()).redirectErrorStream(true)
                .redirectOutput(work.resolve("gateway.log").toFile()).start();
        HttpClient http = HttpClient.newHttpClient();
        try {
            GatewayProcess.awaitReady(http, httpPort, gateway, work, Duration.ofSeconds(120));
            // Warm-up (not measured): the JIT, the first recognizer and, gated, the detector's model load.
            stream(http, voskPort, warmUp);
            Thread.sleep(2000);
            long idleStart = GatewayProcess.cpuTicks(gateway.pid());
            Thread.sleep(5000);
            double idle = (GatewayProcess.cpuTicks(gateway.pid()) - idleStart) / 100.0;
            long cpuBefore = GatewayProcess.cpuTicks(gateway.pid());
            long begin = System.nanoTime();
            String text = stream(http, voskPort, pcm);
            double wall = (System.nanoTime() - begin) / 1e9;
            double cpu = (GatewayProcess.cpuTicks(gateway.pid()) - cpuBefore) / 100.0;
            Map<String, Object> figures = new LinkedHashMap<>();
            figures.put("gatewayCpuSeconds", cpu);
            figures.put("wallSeconds", Bench.round(wall));
            figures.put("idleCpuSeconds", Bench.round(idle / 5 * wall)); // what idling would have cost over that time
            figures.put("text", text);
            System.out.println("gate through vosk-server, speech-gate=" + speechGate + ": " + figures);
            return figures;
        } finally {
            gateway.destroy();
            if (!gateway.waitFor(30, TimeUnit.SECONDS)) {
                gateway.destroyForcibly();
            }
        }
    }

    /** Streams the audio through one vosk-server session as fast as the endpoint takes it; the finals' text. */
    private static String stream(HttpClient http, int voskPort, byte[] pcm) throws Exception {
        StringBuilder text = new StringBuilder();
        CompletableFuture<Void> closed = new CompletableFuture<>();
        WebSocket.Listener listener = new WebSocket.Listener() {
            private final StringBuilder message = new StringBuilder();

            @Override
            public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
                message.append(data);
                if (last) {
                    try {
                        JsonNode reply = JSON.readTree(message.toString());
                        if (reply.has("text") && !reply.get("text").asText().isBlank()) {
                            text.append(text.isEmpty() ? "" : " ").append(reply.get("text").asText());
                        }
                    } catch (IOException e) {
                        closed.completeExceptionally(e);
                    }
                    message.setLength(0);
                }
                socket.request(1);
                return null;
            }

            @Override
            public CompletionStage<?> onClose(WebSocket socket, int statusCode, String reason) {
                closed.complete(null);
                return null;
            }

            @Override
            public void onError(WebSocket socket, Throwable error) {
                closed.completeExceptionally(error);
            }
        };
        WebSocket socket = http.newWebSocketBuilder().buildAsync(URI.create("ws://127.0.0.1:" + voskPort + "/"), listener)
                .get(10, TimeUnit.SECONDS);
        socket.sendText("{\"config\": {\"sample_rate\": 16000}}", true).get(10, TimeUnit.SECONDS);
        for (int offset = 0; offset < pcm.length; offset += Speech.FRAME_BYTES) {
            socket.sendBinary(ByteBuffer.wrap(pcm, offset, Math.min(Speech.FRAME_BYTES, pcm.length - offset)), true)
                    .get(60, TimeUnit.SECONDS);
        }
        socket.sendText("{\"eof\" : 1}", true).get(10, TimeUnit.SECONDS);
        closed.get(30, TimeUnit.MINUTES);
        return text.toString();
    }
}
