package dev.earshot.gateway.protocol;

import dev.earshot.gateway.Gateway;
import dev.earshot.gateway.SpeechFixtures;
import dev.earshot.gateway.protocol.voskserver.VoskEndpoint;
import dev.earshot.gateway.protocol.wyomingserver.WyomingServer;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * 1,000 malformed inputs per protocol while a valid session of a third-party client runs: the gateway stays up, each
 * bad input gets its precise error, the valid session's transcript is right, and threads and heap come back to
 * their baseline.
 */
@QuarkusTest
class IngestFuzzTest {

    private static final int CASES = 1_000;
    private static final String[] WRONG_VOSK_JSON = {
            // A number as a string ("16000") is valid, as vosk-server takes it; text that is no number is not.
            "{\"config\": \"16000\"}", "{\"config\": {\"sample_rate\": \"fast\"}}", "{\"config\": {\"sample_rate\": -5}}",
            "{\"config\": {\"sample_rate\": 1e12}}", "{\"config\": {\"words\": \"maybe\"}}",
            "{\"config\": {\"model\": \"no-such-model\"}}", "{\"config\": {\"model\": 7}}",
            "{\"config\": {\"max_alternatives\": -1}}", "{\"config\": {\"max_alternatives\": 1.5}}",
            "{\"config\": {\"phrase_list\": 5}}", "{\"config\": {\"phrase_list\": [1, 2]}}", "[1, 2, 3]", "null",
            "\"eof\"", "{\"foo\": 1}", "{\"config\": [16000]}"};
    private static final String[] WRONG_WYOMING_HEADERS = {
            "{\"type\": 5}", "{\"type\": \"audio-start\", \"data\": [1]}", "{\"type\": \"describe\", \"data_length\": -1}",
            "{\"type\": \"describe\", \"data_length\": \"7\"}", "{\"type\": \"describe\", \"version\": 3}", "{}", "[1]",
            "\"describe\"", "{\"type\": \"\"}", "{\"type\": \"describe\", \"payload_length\": 1.5}"};

    private static ExecutorService clientThreads;
    private static HttpClient http;

    @Inject
    VoskEndpoint vosk;

    @Inject
    WyomingServer wyoming;

    @Inject
    Gateway gateway;

    @BeforeAll
    static void client() {
        clientThreads = Executors.newFixedThreadPool(1);
        http = HttpClient.newBuilder().executor(clientThreads).build();
    }

    @AfterAll
    static void closeClient() {
        clientThreads.shutdownNow();
    }

    // ---- vosk ---------------------------------------------------------------------------------------------------

    @Test
    void voskEndpointSurvivesMalformedInputWhileAValidSessionRuns() throws Exception {
        Random random = new Random(42);
        for (int i = 0; i < 20; i++) {
            voskCase(i, random); // warm-up: event loops, client threads and classes exist before the baseline
        }
        awaitIdle();
        long[] baseline = JvmBaseline.measure();

        Map<String, String> references = SpeechFixtures.librivoxReferences();
        List<String> args = new ArrayList<>(List.of("ws://127.0.0.1:" + vosk.port() + "/", "lockstep", "8000",
                "{\"config\": {\"sample_rate\": 16000}}"));
        references.keySet().forEach(clip -> args.add(SpeechFixtures.LIBRIVOX.resolve(clip).toString()));
        Process valid = ThirdPartyClients.start("vosk_client.py", args.toArray(String[]::new));
        long start = System.nanoTime();
        int overlapping = 0;
        for (int i = 0; i < CASES; i++) {
            awaitFreeSessionSlots();
            voskCase(i, random);
            if (valid.isAlive()) {
                overlapping++;
            }
        }
        double fuzzSeconds = (System.nanoTime() - start) / 1e9;
        List<JsonObject> replies = ThirdPartyClients.replies(valid);
        assertEquals(1000, replies.remove(replies.size() - 1).getInteger("closed"), "valid session closed normally");
        String text = ThirdPartyClients.voskFinals(replies);
        String reference = String.join(" ", references.values());
        int errors = SpeechFixtures.wordErrors(reference, text);
        awaitIdle();
        long[] after = JvmBaseline.measure();
        System.out.printf("vosk fuzz: %d malformed inputs in %.1f s, %d of them while the valid session ran; valid session "
                        + "%d errors in %d words; threads %d -> %d, heap after GC %.1f -> %.1f MiB%n", CASES, fuzzSeconds,
                overlapping, errors, SpeechFixtures.words(reference), baseline[0], after[0], baseline[1] / 1048576.0,
                after[1] / 1048576.0);
        assertTrue(overlapping > 0, "the valid session ran during the fuzzing");
        assertTrue(100.0 * errors / SpeechFixtures.words(reference) <= 10.0, "valid session transcript: " + text);
        JvmBaseline.assertBack(baseline, after);
    }

    private void voskCase(int i, Random random) throws Exception {
        URI uri = URI.create("ws://127.0.0.1:" + vosk.port() + "/");
        switch (i % 10) {
            case 0 -> {
                byte[] garbage = new byte[16 + random.nextInt(300)];
                random.nextBytes(garbage);
                // Not HTTP, no line end: the server waits for a request line until its idle timeout; the client leaves.
                rawExchange(vosk.port(), garbage, true);
            }
            case 1 -> {
                String reply = new String(rawExchange(vosk.port(),
                        "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII), false),
                        StandardCharsets.US_ASCII);
                assertTrue(reply.startsWith("HTTP/1.1 400"), "plain HTTP gets 400: " + reply);
            }
            case 2 -> {
                StringBuilder text = new StringBuilder();
                for (int k = 0, n = 1 + random.nextInt(200); k < n; k++) {
                    text.append((char) (0x20 + random.nextInt(0x5f)));
                }
                text.insert(0, '#');
                expectClose(uri, ws -> ws.sendText(text.toString(), true), 1007, "invalid JSON");
            }
            case 3 -> {
                String json = "{\"config\": {\"sample_rate\": 16000, \"words\": true}}";
                String cut = json.substring(0, 1 + random.nextInt(json.length() - 2));
                expectClose(uri, ws -> ws.sendText(cut, true), 1007, "");
            }
            case 4 -> {
                String json = WRONG_VOSK_JSON[random.nextInt(WRONG_VOSK_JSON.length)];
                expectClose(uri, ws -> ws.sendText(json, true), 1007, "");
            }
            case 5 -> expectClose(uri, ws -> ws.sendBinary(ByteBuffer.allocate(1024 * 1024 + 2), true), 1009, "");
            case 6 -> {
                byte[] noise = new byte[1 + random.nextInt(9000)];
                random.nextBytes(noise);
                WebSocket ws = http.newWebSocketBuilder().buildAsync(uri, new Collector()).get(5, TimeUnit.SECONDS);
                ws.sendBinary(ByteBuffer.wrap(noise), true).get(5, TimeUnit.SECONDS);
                ws.abort(); // gone without a close frame, audio in flight
            }
            case 7 -> {
                Collector collector = new Collector();
                WebSocket ws = http.newWebSocketBuilder().buildAsync(uri, collector).get(5, TimeUnit.SECONDS);
                ws.sendText("{\"eof\" : 1}", true);
                assertEquals(1000, collector.closed.get(10, TimeUnit.SECONDS), "eof with no audio: final then close");
                assertEquals(List.of("{\"text\":\"\"}"), collector.texts, "an empty final");
            }
            case 8 -> {
                // A handshake, then a frame header cut short and the connection dropped.
                byte[] handshake = ("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII);
                byte[] frame = {(byte) 0x82, (byte) 0xFE, 0x7F};
                byte[] both = new byte[handshake.length + frame.length];
                System.arraycopy(handshake, 0, both, 0, handshake.length);
                System.arraycopy(frame, 0, both, handshake.length, frame.length);
                rawExchange(vosk.port(), both, true);
            }
            default -> {
                Collector collector = new Collector();
                WebSocket ws = http.newWebSocketBuilder().buildAsync(uri, collector).get(5, TimeUnit.SECONDS);
                int resets = 1 + random.nextInt(20);
                for (int k = 0; k < resets; k++) {
                    ws.sendText("{\"reset\" : 1}", true).get(5, TimeUnit.SECONDS);
                }
                ws.sendText("{\"eof\" : 1}", true);
                assertEquals(1000, collector.closed.get(10, TimeUnit.SECONDS));
                assertEquals(resets + 1, collector.texts.size(), "one final per reset and one for eof: " + collector.texts);
            }
        }
    }

    private interface Send {
        CompletableFuture<WebSocket> send(WebSocket ws);
    }

    private void expectClose(URI uri, Send send, int code, String reason) throws Exception {
        Collector collector = new Collector();
        WebSocket ws = http.newWebSocketBuilder().buildAsync(uri, collector).get(5, TimeUnit.SECONDS);
        send.send(ws);
        int closed = collector.closed.get(10, TimeUnit.SECONDS);
        assertEquals(code, closed, "close status; reason: " + collector.reason);
        assertTrue(collector.reason.contains(reason), "close reason '" + collector.reason + "' names '" + reason + "'");
        ws.abort();
    }

    /** Collects text replies and the close status. */
    private static final class Collector implements WebSocket.Listener {
        final List<String> texts = new java.util.concurrent.CopyOnWriteArrayList<>();
        final CompletableFuture<Integer> closed = new CompletableFuture<>();
        volatile String reason = "";
        private final StringBuilder part = new StringBuilder();

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            part.append(data);
            if (last) {
                texts.add(part.toString());
                part.setLength(0);
            }
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket ws, int statusCode, String why) {
            reason = why;
            closed.complete(statusCode);
            return null;
        }

        @Override
        public void onError(WebSocket ws, Throwable error) {
            closed.complete(-1);
        }
    }

    // ---- wyoming ------------------------------------------------------------------------------------------------

    @Test
    void wyomingServerSurvivesMalformedInputWhileAValidSessionRuns() throws Exception {
        Random random = new Random(7);
        for (int i = 0; i < 20; i++) {
            wyomingCase(i, random);
        }
        awaitIdle();
        long[] baseline = JvmBaseline.measure();

        Map<String, String> references = SpeechFixtures.librivoxReferences();
        List<String> args = new ArrayList<>(List.of("127.0.0.1", String.valueOf(wyoming.port()), "en"));
        references.keySet().forEach(clip -> args.add(SpeechFixtures.LIBRIVOX.resolve(clip).toString()));
        Process valid = ThirdPartyClients.start("wyoming_client.py", args.toArray(String[]::new));
        long start = System.nanoTime();
        int overlapping = 0;
        for (int i = 0; i < CASES; i++) {
            awaitFreeSessionSlots();
            wyomingCase(i, random);
            if (valid.isAlive()) {
                overlapping++;
            }
        }
        double fuzzSeconds = (System.nanoTime() - start) / 1e9;
        List<String> texts = ThirdPartyClients.wyomingTranscripts(ThirdPartyClients.replies(valid));
        String text = String.join(" ", texts);
        String reference = String.join(" ", references.values());
        int errors = SpeechFixtures.wordErrors(reference, text);
        awaitIdle();
        long[] after = JvmBaseline.measure();
        System.out.printf("wyoming fuzz: %d malformed inputs in %.1f s, %d of them while the valid session ran; valid "
                        + "session %d errors in %d words; threads %d -> %d, heap after GC %.1f -> %.1f MiB%n", CASES,
                fuzzSeconds, overlapping, errors, SpeechFixtures.words(reference), baseline[0], after[0],
                baseline[1] / 1048576.0, after[1] / 1048576.0);
        assertEquals(references.size(), texts.size(), "every request of the valid session answered");
        assertTrue(overlapping > 0, "the valid session ran during the fuzzing");
        assertTrue(100.0 * errors / SpeechFixtures.words(reference) <= 10.0, "valid session transcript: " + text);
        JvmBaseline.assertBack(baseline, after);
    }

    private void wyomingCase(int i, Random random) throws Exception {
        int port = wyoming.port();
        switch (i % 10) {
            case 0 -> {
                byte[] garbage = new byte[100 + random.nextInt(2000)];
                random.nextBytes(garbage);
                for (int k = 0; k < garbage.length; k++) {
                    if (garbage[k] == '\n') {
                        garbage[k] = ' ';
                    }
                }
                rawExchange(port, garbage, true); // an unfinished header, then gone
            }
            case 1 -> {
                byte[] garbage = new byte[1 + random.nextInt(500)];
                random.nextBytes(garbage);
                garbage[0] = '#';
                for (int k = 0; k < garbage.length; k++) {
                    if (garbage[k] == '\n') {
                        garbage[k] = ' ';
                    }
                }
                garbage[garbage.length - 1] = '\n';
                expectError(port, garbage, "bad-json");
            }
            case 2 -> expectError(port, line(WRONG_WYOMING_HEADERS[random.nextInt(WRONG_WYOMING_HEADERS.length)]), "");
            case 3 -> expectError(port, line(random.nextBoolean()
                    ? "{\"type\": \"audio-chunk\", \"payload_length\": 2147483648}"
                    : "{\"type\": \"describe\", \"data_length\": 1000000000000}"), "too-large");
            case 4 -> {
                byte[] header = new byte[70 * 1024];
                java.util.Arrays.fill(header, (byte) 'a');
                expectError(port, header, "header-too-long");
            }
            // An event the server has no use for is skipped, as the reference servers do; the next one is handled.
            case 5 -> expectError(port, bytes(line("{\"type\": \"detect\", \"data\": {\"names\": [\"x\"]}}"),
                    line("{\"type\": \"transcribe\", \"data\": {\"language\": \"de\"}}")), "unsupported-language");
            case 6 -> {
                String[] formats = {"\"rate\": 0, \"width\": 2, \"channels\": 1", "\"rate\": 16000, \"width\": 5, \"channels\": 1",
                        "\"rate\": 16000, \"width\": 2, \"channels\": 0", "\"rate\": \"16000\", \"width\": 2, \"channels\": 1",
                        "\"width\": 2, \"channels\": 1"};
                expectError(port, line("{\"type\": \"audio-start\", \"data\": {" + formats[random.nextInt(formats.length)] + "}}"),
                        "bad-data");
            }
            case 7 -> expectError(port, bytes(line("{\"type\": \"audio-start\", \"data\": {\"rate\": 16000, \"width\": 2, \"channels\": 1}}"),
                    line("{\"type\": \"audio-chunk\", \"data\": {\"rate\": 16000, \"width\": 2, \"channels\": 1}, \"payload_length\": 3}"),
                    new byte[]{1, 2, 3}), "bad-payload");
            case 8 -> rawExchange(port, bytes(line("{\"type\": \"audio-chunk\", \"data\": {\"rate\": 16000, \"width\": 2, "
                    + "\"channels\": 1}, \"payload_length\": 1000}"), new byte[10]), true); // payload cut short, then gone
            default -> {
                if (random.nextBoolean()) {
                    expectError(port, bytes(line("{\"type\": \"transcribe\", \"data_length\": 5}"),
                            "hello".getBytes(StandardCharsets.US_ASCII)), "bad-json");
                } else {
                    expectError(port, bytes(line("{\"type\": \"audio-start\", \"data\": {\"rate\": 16000, \"width\": 2, \"channels\": 1}}"),
                            line("{\"type\": \"audio-chunk\", \"data\": {\"rate\": 8000, \"width\": 2, \"channels\": 1}, \"payload_length\": 4}"),
                            new byte[4]), "format-changed");
                }
            }
        }
    }

    private static void expectError(int port, byte[] input, String code) throws IOException {
        String reply = new String(rawExchange(port, input, false), StandardCharsets.UTF_8);
        int error = reply.indexOf("{\"type\":\"error\"");
        assertTrue(error >= 0, "an error event, then close: " + reply);
        assertTrue(reply.indexOf('\n', reply.indexOf('\n', error) + 1) < 0, "the error is the last event: " + reply);
        assertTrue(reply.contains("\"code\":\"" + code), "error code " + code + ": " + reply);
    }

    private static byte[] line(String json) {
        return (json + "\n").getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] bytes(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    // ---- shared -------------------------------------------------------------------------------------------------

    /**
     * Sends {@code input} on a new TCP connection and returns what the server sends until it closes (or 10 s pass,
     * which fails the test). With {@code dropAfterWrite} the client leaves right after writing.
     */
    private static byte[] rawExchange(int port, byte[] input, boolean dropAfterWrite) throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            try {
                out.write(input);
                out.flush();
            } catch (IOException closedEarly) {
                // The server may close before reading everything (e.g. an oversized header): that is its answer.
            }
            if (dropAfterWrite) {
                return new byte[0];
            }
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream reply = new ByteArrayOutputStream();
            byte[] buffer = new byte[4096];
            try {
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    reply.write(buffer, 0, n);
                }
            } catch (SocketTimeoutException e) {
                fail("the server did not close the connection within 10 s; it sent: " + reply);
            } catch (IOException reset) {
                // closed with a reset after its reply: fine
            }
            return reply.toByteArray();
        }
    }

    /**
     * A session closed by a bad input keeps its slot until a decoding thread has released it; at full speed and on a
     * busy machine the cases could otherwise reach the pipeline's session limit and get "busy" instead of the error
     * under test. Waits (bounded) while more than half of the limit is taken.
     */
    private void awaitFreeSessionSlots() throws InterruptedException {
        awaitTrue(() -> gateway.runtime().pipelines().stream()
                        .allMatch(p -> p.sessionCount() <= p.settings().maxSessions() / 2),
                "sessions of earlier cases released");
    }

    private void awaitIdle() throws InterruptedException {
        awaitTrue(() -> vosk.connections() == 0 && wyoming.connections() == 0
                        && gateway.runtime().pipelines().stream().allMatch(p -> p.sessionCount() == 0),
                "connections and sessions closed");
    }

    private static void awaitTrue(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out waiting for: " + what);
            }
            Thread.sleep(20);
        }
    }
}
