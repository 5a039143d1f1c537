package dev.earshot.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.earshot.spi.audio.AudioFormat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Capacity through the vosk-server WebSocket endpoint of the packaged gateway ({@code capacity-ws}): the gateway runs
 * as its own process, as users run it, with its bundled Vosk model; N clients stream real speech (the LibriVox clips with a 1 s pause
 * after each, looped) in real time (100 ms binary messages, as a microphone client does) for a while, then send {@code {"eof" : 1}}. Per step: how far behind
 * real time the finals arrive (audio sent when a final arrives minus the end of its last word: Vosk's endpointing wait plus any
 * backlog), how long the last finals take after eof, and the gateway's CPU. The first step (one session) is the
 * baseline: a step keeps up when its p99 lag is within 1 s of the baseline's and the last finals come within 2 s of
 * eof.
 */
final class WebSocketCapacity {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int CHUNK = Speech.FRAME_BYTES; // 100 ms of 16 kHz s16le

    private final Path app;
    private final byte[] speech;

    WebSocketCapacity(Path app, List<Speech> clips) throws IOException {
        if (!Files.isRegularFile(app)) {
            throw new IllegalStateException(app + " is missing: build the distribution first (mvn -B -ntp -q install"
                    + " -DskipTests -DskipITs)");
        }
        this.app = app;
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (Speech clip : clips) {
            all.write(clip.pcm());
            all.write(new byte[AudioFormat.SPEECH_16K.bytesPerSecond()]); // a pause between speakers: Vosk ends the utterance there
        }
        this.speech = all.toByteArray();
    }

    /** Runs each step (session count) for {@code seconds}; returns the figures per step. */
    List<Map<String, Object>> run(List<Integer> steps, int seconds) throws Exception {
        Path work = Files.createTempDirectory("earshot-bench-ws");
        int httpPort = GatewayProcess.freePort();
        int voskPort = GatewayProcess.freePort();
        int most = Collections.max(steps);
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dquarkus.http.port=" + httpPort, "-Dearshot.ingest.vosk.port=" + voskPort,
                "-Dearshot.ingest.wyoming.port=" + GatewayProcess.freePort(), "-Dearshot.ingest.vosk.max-sessions=" + (most + 1),
                "-Dearshot.pipelines.default.max-sessions=" + (most + 1), "-Dquarkus.log.level=WARN",
                "-jar", app.toString());
        Process gateway = new ProcessBuilder(command).directory(work.toFile()).redirectErrorStream(true)
                .redirectOutput(work.resolve("gateway.log").toFile()).start();
        HttpClient http = HttpClient.newHttpClient();
        List<Map<String, Object>> figures = new ArrayList<>();
        try {
            GatewayProcess.awaitReady(http, httpPort, gateway, work, Duration.ofSeconds(120));
            double baseline = Double.NaN;
            for (int sessions : steps) {
                Map<String, Object> step = step(http, URI.create("ws://127.0.0.1:" + voskPort + "/"), sessions, seconds,
                        gateway.pid());
                double p99 = (double) step.get("finalLagP99s");
                if (Double.isNaN(baseline)) {
                    baseline = p99; // the first step (one session) is the baseline: Vosk's own endpointing delay
                }
                step.put("lagP99OverFirstStep", round(p99 - baseline));
                step.put("keepsUp", p99 - baseline < 1.0 && (double) step.get("afterEofMaxs") < 2.0);
                figures.add(step);
                System.out.printf(Locale.ROOT, "capacity-ws %d session(s): %s%n", sessions, step);
            }
        } finally {
            gateway.destroy();
            if (!gateway.waitFor(30, TimeUnit.SECONDS)) {
                gateway.destroyForcibly();
            }
        }
        return figures;
    }

    private Map<String, Object> step(HttpClient http, URI uri, int sessions, int seconds, long pid) throws Exception {
        List<Client> clients = new ArrayList<>();
        for (int i = 0; i < sessions; i++) {
            Client client = new Client(speech.length / sessions * i / CHUNK * CHUNK);
            client.socket = http.newWebSocketBuilder().buildAsync(uri, client).get(10, TimeUnit.SECONDS);
            client.socket.sendText("{\"config\": {\"sample_rate\": 16000}}", true).get(10, TimeUnit.SECONDS);
            clients.add(client);
        }
        long cpuBefore = GatewayProcess.cpuTicks(pid);
        long begin = System.nanoTime();
        int ticks = seconds * 10;
        for (int tick = 0; tick < ticks; tick++) {
            for (Client client : clients) {
                client.sendNext();
            }
            long wait = begin + TimeUnit.MILLISECONDS.toNanos(100L * (tick + 1)) - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait);
            }
        }
        double wall = (System.nanoTime() - begin) / 1e9;
        long cpuAfter = GatewayProcess.cpuTicks(pid);
        long eofSent = System.nanoTime();
        for (Client client : clients) {
            client.eof();
        }
        double drainMax = 0;
        for (Client client : clients) {
            client.closed.get(120, TimeUnit.SECONDS);
            drainMax = Math.max(drainMax, (client.lastFinalAt.get() - eofSent) / 1e9);
        }
        List<Double> lags = new ArrayList<>();
        long behind = 0;
        for (Client client : clients) {
            lags.addAll(client.lags);
            behind += client.notSent;
        }
        Collections.sort(lags);
        Map<String, Object> step = new LinkedHashMap<>();
        step.put("sessions", sessions);
        step.put("seconds", seconds);
        step.put("finals", lags.size());
        step.put("finalLagP50s", round(percentile(lags, 0.50)));
        step.put("finalLagP99s", round(percentile(lags, 0.99)));
        step.put("finalLagMaxs", round(lags.isEmpty() ? Double.NaN : lags.get(lags.size() - 1)));
        step.put("afterEofMaxs", round(drainMax));
        step.put("chunksHeldBackByTheSocket", behind);
        step.put("gatewayCores", round((cpuAfter - cpuBefore) / 100.0 / wall));
        return step;
    }

    /** One vosk-server client: sends its 100 ms chunks in real time, records how late each final comes. */
    private final class Client implements WebSocket.Listener {
        private final StringBuilder text = new StringBuilder();
        private final List<Double> lags = Collections.synchronizedList(new ArrayList<>());
        private final CompletableFuture<Void> closed = new CompletableFuture<>();
        private final AtomicLong lastFinalAt = new AtomicLong();
        private WebSocket socket;
        private CompletableFuture<WebSocket> sending = CompletableFuture.completedFuture(null);
        private int offset;
        private volatile long chunksSent;
        private long notSent;

        Client(int offset) {
            this.offset = offset;
        }

        void sendNext() {
            if (!sending.isDone()) {
                notSent++; // the socket has not taken the last chunk yet: the gateway pushes back
                return;
            }
            if (offset + CHUNK > speech.length) {
                offset = 0;
            }
            sending = socket.sendBinary(ByteBuffer.wrap(speech, offset, CHUNK), true);
            offset += CHUNK;
            chunksSent++;
        }

        void eof() throws Exception {
            sending.get(10, TimeUnit.SECONDS);
            socket.sendText("{\"eof\" : 1}", true);
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
                String message = text.toString();
                text.setLength(0);
                try {
                    JsonNode reply = JSON.readTree(message);
                    JsonNode words = reply.get("result");
                    if (reply.has("text") && words != null && words.size() > 0) {
                        double sentSeconds = chunksSent * 0.1;
                        lags.add(sentSeconds - words.get(words.size() - 1).get("end").asDouble());
                        lastFinalAt.set(System.nanoTime());
                    } else if (reply.has("text")) {
                        lastFinalAt.set(System.nanoTime());
                    }
                } catch (IOException e) {
                    closed.completeExceptionally(e);
                }
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            closed.complete(null);
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            closed.completeExceptionally(error);
        }
    }

    private static double percentile(List<Double> sorted, double p) {
        return sorted.isEmpty() ? Double.NaN : sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p * sorted.size()) - 1));
    }

    private static double round(double value) {
        return Math.round(value * 100) / 100.0;
    }
}
