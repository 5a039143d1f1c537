package dev.earshot.gateway.protocol;

import dev.earshot.gateway.SpeechFixtures;
import dev.earshot.gateway.plugin.PluginJars;
import dev.earshot.gateway.protocol.voskserver.VoskEndpoint;
import dev.earshot.gateway.protocol.wyomingserver.WyomingServer;
import dev.earshot.spi.SpiVersion;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import javax.sound.sampled.AudioInputStream;
import javax.sound.sampled.AudioSystem;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleSupplier;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Admission by measured decode load, end to end on the vosk-server and Wyoming ports. The default pipeline's engine
 * is a slowed one (a plugin jar loaded from the plugins folder): every second of audio costs its decoding thread
 * 0.4 s, and there is one decoding thread, so two live streams fit and a third does not. Two clients stream LibriVox
 * speech in real time; a third vosk-server client gets 503 with Retry-After before its handshake and a third
 * Wyoming client an {@code error} event {@code decode-load}; the two admitted ones keep up (their finals account for
 * every sample they sent and arrive right after their last audio); once they ended, a new client is admitted again.
 * A live stream beside three uploads keeps up too: live sessions' runs go first on the decoding thread, and the
 * uploads finish later, decoded whole.
 */
@QuarkusTest
@TestProfile(AdmissionByDecodeLoadTest.SlowEngine.class)
class AdmissionByDecodeLoadTest {

    /** Decoding-thread milliseconds per second of audio of the slowed engine. */
    static final int COST_MILLIS = 400;
    private static final int CHUNK = 3200; // 100 ms of 16 kHz 16-bit mono

    /** One decoding thread, the default pipeline on the slowed engine, no speech gate (every frame is decoded). */
    public static final class SlowEngine implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            Path plugins;
            try {
                plugins = slowEnginePlugin();
            } catch (Exception e) {
                throw new IllegalStateException("building the slowed engine plugin failed", e);
            }
            return Map.of("earshot.plugin-dir", plugins.toAbsolutePath().toString(),
                    "earshot.runtime.decode-threads", "1",
                    "earshot.engines.slow.type", "slow",
                    "earshot.engines.slow.millis-per-second", String.valueOf(COST_MILLIS),
                    "earshot.pipelines.default.engine", "slow",
                    "earshot.pipelines.default.speech-gate", "off");
        }
    }

    @Inject
    VoskEndpoint vosk;

    @Inject
    WyomingServer wyoming;

    @Inject
    MeterRegistry registry;

    @Test
    void oneMoreLiveSessionThanDecodingCanTakeIsRefusedAndTheAdmittedOnesKeepUp() throws Exception {
        byte[] speech = speech(7);
        long samples = speech.length / 2;

        CompletableFuture<Streamed> first = CompletableFuture.supplyAsync(() -> voskStream(speech));
        awaitAtLeast("the first stream measured", this::load, COST_MILLIS / 1000.0 * 0.8);
        CompletableFuture<Streamed> second = CompletableFuture.supplyAsync(() -> wyomingStream(speech));
        awaitAtLeast("both streams measured", this::load, 2 * COST_MILLIS / 1000.0 * 0.9);

        double refusedBefore = refused();
        try (Socket socket = RawClients.connect("127.0.0.1", vosk.port())) {
            socket.setSoTimeout(10_000);
            String head = RawClients.upgrade(socket, "/");
            String body = RawClients.readBody(socket.getInputStream(), head, 4096);
            assertEquals(503, RawClients.status(head), head + body);
            assertTrue(head.toLowerCase().contains("retry-after: 5"), "Retry-After: " + head);
            assertTrue(body.contains("decoding is at capacity: live sessions need"), "the reason: " + body);
        }
        try (Socket socket = new Socket("127.0.0.1", wyoming.port())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write("{\"type\": \"audio-start\", \"data\": {\"rate\": 16000, \"width\": 2, \"channels\": 1}}\n"
                    .getBytes(StandardCharsets.UTF_8));
            DataInputStream in = new DataInputStream(new BufferedInputStream(socket.getInputStream()));
            JsonObject error = event(in);
            assertEquals("error", error.getString("type"), error.encode());
            assertEquals("decode-load", error.getJsonObject("data").getString("code"), error.encode());
            assertTrue(error.getJsonObject("data").getString("text").startsWith("decoding is at capacity"), error.encode());
            assertEquals(-1, in.read(), "closed after the error");
        }
        assertEquals(refusedBefore + 2, refused(), "both refusals counted");
        assertEquals(1.0, registry.get("earshot.ingest.connections.refused").tag("listener", "vosk")
                .tag("reason", "decode-load").counter().count());

        for (Streamed streamed : List.of(first.get(60, TimeUnit.SECONDS), second.get(60, TimeUnit.SECONDS))) {
            assertEquals("samples " + samples, streamed.finalText(), streamed.protocol + ": every sample decoded");
            assertTrue(streamed.finalAfterLastChunk().toMillis() < 1500, streamed.protocol
                    + ": kept up, the final came " + streamed.finalAfterLastChunk().toMillis() + " ms after the last audio");
            System.out.printf("admission: %s admitted, final %d ms after its last audio%n", streamed.protocol,
                    streamed.finalAfterLastChunk().toMillis());
        }

        // Both ended: the load is gone at the next sample and a new session is admitted.
        awaitAtMost("the load after both ended", this::load, 0.01);
        Streamed again = voskStream(speech(2));
        assertEquals("samples " + speech(2).length / 2, again.finalText(), "admitted again");
    }

    @Test
    void liveSessionsAreDecodedBeforeUploadsThatShareTheThread() throws Exception {
        // Three uploads of 10 s each need 12 s of the one thread; round robin would give a live stream a quarter of
        // it (0.25 s per second of audio, below the 0.4 it needs) and it would fall 2-3 s behind. Live runs go first,
        // so the live stream keeps up and the uploads take what is left and finish later.
        byte[] upload = wav(speech(10));
        double decodedBefore = decodedSeconds();
        List<CompletableFuture<String>> uploads = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            uploads.add(CompletableFuture.supplyAsync(() -> given().contentType("audio/wav").body(upload)
                    .post("/api/transcribe").then().statusCode(200).extract().path("text")));
        }
        awaitAtLeast("the uploads decoding", () -> decodedSeconds() - decodedBefore, 3);

        byte[] speech = speech(7);
        Streamed live = voskStream(speech);
        long unfinished = uploads.stream().filter(u -> !u.isDone()).count();
        assertEquals("samples " + speech.length / 2, live.finalText(), "every live sample decoded");
        assertTrue(live.finalAfterLastChunk().toMillis() < 1500, "the live stream kept up beside three uploads: its final"
                + " came " + live.finalAfterLastChunk().toMillis() + " ms after its last audio");
        assertEquals(3, unfinished, "the uploads were still decoding when the live stream ended, so they shared the thread");
        for (CompletableFuture<String> done : uploads) {
            assertEquals("samples " + 10 * 16_000, done.get(60, TimeUnit.SECONDS), "every upload decoded whole");
        }
        System.out.printf("live before uploads: a live stream beside three uploads on one thread, final %d ms after its"
                + " last audio%n", live.finalAfterLastChunk().toMillis());
    }

    private double decodedSeconds() {
        return registry.get("earshot.audio.decoded.seconds").tag("pipeline", "default").functionCounter().count();
    }

    /** 16 kHz mono PCM as a WAV file. */
    private static byte[] wav(byte[] pcm) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        javax.sound.sampled.AudioFormat format = new javax.sound.sampled.AudioFormat(16_000, 16, 1, true, false);
        AudioSystem.write(new AudioInputStream(new java.io.ByteArrayInputStream(pcm), format, pcm.length / 2),
                javax.sound.sampled.AudioFileFormat.Type.WAVE, out);
        return out.toByteArray();
    }

    private double load() {
        return registry.get("earshot.decode.load").gauge().value();
    }

    private double refused() {
        return registry.get("earshot.sessions.refused").tag("reason", "decode-load").functionCounter().count();
    }

    private static void awaitAtLeast(String what, DoubleSupplier value, double at) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (value.getAsDouble() < at && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertTrue(value.getAsDouble() >= at, what + ": " + value.getAsDouble() + " < " + at);
    }

    private static void awaitAtMost(String what, DoubleSupplier value, double at) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (value.getAsDouble() > at && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertTrue(value.getAsDouble() <= at, what + ": " + value.getAsDouble() + " > " + at);
    }

    /** What one client saw: its final text, and when it came relative to its last chunk. */
    record Streamed(String protocol, String finalText, Duration finalAfterLastChunk) {
    }

    /** LibriVox speech, 16 kHz mono PCM, clips one after another up to {@code seconds}. */
    private static byte[] speech(int seconds) {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        try {
            while (all.size() < seconds * 32_000) {
                for (String clip : SpeechFixtures.librivoxReferences().keySet()) {
                    try (AudioInputStream in = AudioSystem.getAudioInputStream(SpeechFixtures.LIBRIVOX.resolve(clip).toFile())) {
                        all.write(in.readAllBytes());
                    }
                }
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        byte[] pcm = all.toByteArray();
        return java.util.Arrays.copyOf(pcm, seconds * 32_000);
    }

    /** Waits for the slot of chunk {@code index} of a real-time stream that began at {@code start}. */
    private static void pace(long start, int index) {
        long due = start + index * 100_000_000L;
        long wait = due - System.nanoTime();
        if (wait > 0) {
            java.util.concurrent.locks.LockSupport.parkNanos(wait);
        }
    }

    /** A vosk-server client streaming in real time; its last reply is the final of everything it sent. */
    private Streamed voskStream(byte[] pcm) {
        List<String> replies = new CopyOnWriteArrayList<>();
        CompletableFuture<Long> finalAt = new CompletableFuture<>();
        CompletableFuture<Integer> closed = new CompletableFuture<>();
        WebSocket ws = HttpClient.newHttpClient().newWebSocketBuilder()
                .buildAsync(URI.create("ws://127.0.0.1:" + vosk.port() + "/"), new WebSocket.Listener() {
                    private final StringBuilder text = new StringBuilder();

                    @Override
                    public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
                        text.append(data);
                        if (last) {
                            String reply = text.toString();
                            text.setLength(0);
                            replies.add(reply);
                            if (new JsonObject(reply).containsKey("text")) {
                                finalAt.complete(System.nanoTime());
                            }
                        }
                        socket.request(1);
                        return null;
                    }

                    @Override
                    public CompletionStage<?> onClose(WebSocket socket, int statusCode, String reason) {
                        closed.complete(statusCode);
                        return null;
                    }
                }).join();
        ws.sendText("{\"config\": {\"sample_rate\": 16000}}", true).join();
        long start = System.nanoTime();
        int index = 0;
        for (int offset = 0; offset < pcm.length; offset += CHUNK, index++) {
            pace(start, index);
            ws.sendBinary(ByteBuffer.wrap(pcm, offset, Math.min(CHUNK, pcm.length - offset)), true).join();
        }
        long lastChunk = System.nanoTime();
        ws.sendText("{\"eof\" : 1}", true).join();
        try {
            long at = finalAt.get(30, TimeUnit.SECONDS);
            assertEquals(1000, closed.get(10, TimeUnit.SECONDS), "closed normally: " + replies);
            String text = "";
            for (String reply : replies) {
                JsonObject json = new JsonObject(reply);
                if (json.containsKey("text")) {
                    text = json.getString("text");
                }
            }
            return new Streamed("vosk-server", text, Duration.ofNanos(at - lastChunk));
        } catch (Exception e) {
            throw new IllegalStateException("vosk-server stream: " + replies, e);
        }
    }

    /** A Wyoming client streaming in real time. */
    private Streamed wyomingStream(byte[] pcm) {
        try (Socket socket = new Socket("127.0.0.1", wyoming.port())) {
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            String format = "{\"rate\": 16000, \"width\": 2, \"channels\": 1}";
            out.write(("{\"type\": \"audio-start\", \"data\": " + format + "}\n").getBytes(StandardCharsets.UTF_8));
            long start = System.nanoTime();
            int index = 0;
            for (int offset = 0; offset < pcm.length; offset += CHUNK, index++) {
                pace(start, index);
                int length = Math.min(CHUNK, pcm.length - offset);
                out.write(("{\"type\": \"audio-chunk\", \"data\": " + format + ", \"payload_length\": " + length + "}\n")
                        .getBytes(StandardCharsets.UTF_8));
                out.write(pcm, offset, length);
                out.flush();
            }
            long lastChunk = System.nanoTime();
            out.write("{\"type\": \"audio-stop\"}\n".getBytes(StandardCharsets.UTF_8));
            DataInputStream in = new DataInputStream(new BufferedInputStream(socket.getInputStream()));
            List<String> seen = new ArrayList<>();
            while (true) {
                JsonObject event = event(in);
                seen.add(event.getString("type"));
                if (event.getString("type").equals("transcript")) {
                    return new Streamed("wyoming", event.getJsonObject("data").getString("text"),
                            Duration.ofNanos(System.nanoTime() - lastChunk));
                }
                if (event.getString("type").equals("error")) {
                    throw new IllegalStateException("wyoming stream refused: " + event.encode() + " after " + seen);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One Wyoming event: its header line, with the data that follows it merged in and any payload skipped. */
    private static JsonObject event(DataInputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b = in.read(); b != '\n'; b = in.read()) {
            if (b < 0) {
                throw new IOException("closed before an event; read " + line);
            }
            line.write(b);
        }
        JsonObject header = new JsonObject(line.toString(StandardCharsets.UTF_8));
        int dataLength = header.getInteger("data_length", 0);
        if (dataLength > 0) {
            byte[] data = new byte[dataLength];
            in.readFully(data);
            header.put("data", new JsonObject(new String(data, StandardCharsets.UTF_8)));
        }
        in.skipNBytes(header.getInteger("payload_length", 0));
        return header;
    }

    /** Builds the slowed engine's plugin jar into a fresh plugins folder; returns the folder. */
    static Path slowEnginePlugin() throws Exception {
        Path work = Path.of("target/admission-test");
        if (Files.exists(work)) {
            try (var files = Files.walk(work)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        Path jars = Files.createDirectories(work.resolve("build"));
        Path plugins = Files.createDirectories(work.resolve("plugins"));
        Path jar = PluginJars.build(jars, "slowdecode.jar", Map.of("com.example.slow.SlowPlugin", """
                package com.example.slow;
                import dev.earshot.spi.*;
                import dev.earshot.spi.audio.*;
                import dev.earshot.spi.engine.*;
                import dev.earshot.spi.transcript.*;
                import java.util.List;
                import java.util.concurrent.locks.LockSupport;
                /** An engine that recognises nothing and takes a fixed time per second of audio: a slow decoder. */
                public final class SlowPlugin implements Plugin {
                    public String name() { return "slowdecode"; }
                    public Iterable<SpeechEngineFactory> engineFactories() {
                        return List.of(new SpeechEngineFactory() {
                            public String name() { return "slow"; }
                            public SpeechEngine create(PluginContext context) {
                                int millis = context.config().getInt("millis-per-second", 400, 1, 1000);
                                return new SpeechEngine() {
                                    public AudioFormat inputFormat() { return AudioFormat.SPEECH_16K; }
                                    public Recognizer createRecognizer(RecognizerOptions options, RecognitionListener listener) {
                                        return new Recognizer() {
                                            private long samples;
                                            public void accept(AudioFrame frame) {
                                                long until = System.nanoTime() + frame.duration().toNanos() * millis / 1000;
                                                for (long left = until - System.nanoTime(); left > 0; left = until - System.nanoTime()) {
                                                    LockSupport.parkNanos(left);
                                                }
                                                samples += frame.sampleCount();
                                                listener.onHypothesis(Hypothesis.partial("samples " + samples));
                                            }
                                            public void flush() {
                                                listener.onHypothesis(Hypothesis.finalResult("samples " + samples, List.of()));
                                            }
                                            public void close() { }
                                        };
                                    }
                                    public void close() { }
                                };
                            }
                        });
                    }
                }
                """), PluginJars.metadata("com.example.slow.SlowPlugin", "slowdecode", SpiVersion.CURRENT));
        Files.copy(jar, plugins.resolve("slowdecode.jar"));
        return plugins;
    }
}
