package dev.earshot.gateway.ingest;

import dev.earshot.gateway.ingest.vosk.VoskEndpoint;
import dev.earshot.gateway.ingest.wyoming.WyomingServer;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The per-protocol limits (max sessions, max message size, header size, idle timeout) are configurable and hold. */
@QuarkusTest
@TestProfile(IngestLimitsTest.SmallLimits.class)
class IngestLimitsTest {

    public static final class SmallLimits implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "earshot.ingest.vosk.max-sessions", "2",
                    "earshot.ingest.vosk.max-message-size", "64K",
                    "earshot.ingest.vosk.idle-timeout", "1s",
                    "earshot.ingest.wyoming.max-sessions", "2",
                    "earshot.ingest.wyoming.max-message-size", "64K",
                    "earshot.ingest.wyoming.max-header-size", "1K",
                    "earshot.ingest.wyoming.idle-timeout", "1s");
        }
    }

    @Inject
    VoskEndpoint vosk;

    @Inject
    WyomingServer wyoming;

    @Inject
    dev.earshot.gateway.Gateway gateway;

    private final HttpClient http = HttpClient.newHttpClient();

    private static final class Closed implements WebSocket.Listener {
        final CompletableFuture<String> closed = new CompletableFuture<>();

        @Override
        public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
            closed.complete(statusCode + " " + reason);
            return null;
        }

        @Override
        public void onError(WebSocket ws, Throwable error) {
            closed.complete("error " + error);
        }
    }

    private WebSocket connect(Closed listener) throws Exception {
        return http.newWebSocketBuilder().buildAsync(URI.create("ws://127.0.0.1:" + vosk.port() + "/"), listener)
                .get(5, TimeUnit.SECONDS);
    }

    @Test
    void voskRefusesConnectionsBeyondMaxSessionsWith503() throws Exception {
        List<WebSocket> open = new ArrayList<>();
        open.add(connect(new Closed()));
        open.add(connect(new Closed()));
        ExecutionException refused = assertThrows(ExecutionException.class, () -> connect(new Closed()));
        WebSocketHandshakeException handshake = assertInstanceOf(WebSocketHandshakeException.class, refused.getCause());
        assertEquals(503, handshake.getResponse().statusCode());
        assertTrue(String.valueOf(handshake.getResponse().body()).contains("earshot.ingest.vosk.max-sessions"),
                "the refusal names the setting: " + handshake.getResponse().body());
        for (WebSocket ws : open) {
            ws.sendClose(1000, "").get(5, TimeUnit.SECONDS);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (vosk.connections() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        connect(new Closed()).abort(); // room again
    }

    @Test
    void voskClosesOnAMessageOverMaxMessageSizeWith1009() throws Exception {
        Closed listener = new Closed();
        WebSocket ws = connect(listener);
        ws.sendBinary(ByteBuffer.allocate(64 * 1024 + 2), true);
        String closed = listener.closed.get(10, TimeUnit.SECONDS);
        assertTrue(closed.startsWith("1009 ") && closed.contains("max-message-size"), closed);
    }

    @Test
    void voskClosesAnIdleConnectionWith1001() throws Exception {
        Closed listener = new Closed();
        connect(listener);
        String closed = listener.closed.get(10, TimeUnit.SECONDS);
        assertTrue(closed.startsWith("1001 ") && closed.contains("idle"), closed);
    }

    @Test
    void aPipelineStopFlushesTheFinalThenClosesWith1001() throws Exception {
        List<String> texts = new java.util.concurrent.CopyOnWriteArrayList<>();
        CompletableFuture<String> closed = new CompletableFuture<>();
        WebSocket ws = http.newWebSocketBuilder().buildAsync(URI.create("ws://127.0.0.1:" + vosk.port() + "/"),
                new WebSocket.Listener() {
                    @Override
                    public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
                        texts.add(data.toString());
                        socket.request(1);
                        return null;
                    }

                    @Override
                    public CompletionStage<?> onClose(WebSocket socket, int statusCode, String reason) {
                        closed.complete(statusCode + " " + reason);
                        return null;
                    }
                }).get(5, TimeUnit.SECONDS);
        byte[] speech = java.nio.file.Files.readAllBytes(dev.earshot.gateway.SpeechFixtures.DATA.resolve("goforward.raw"));
        ws.sendText("{\"config\": {\"sample_rate\": 16000}}", true).get(5, TimeUnit.SECONDS);
        int messages = 0;
        for (int offset = 0; offset < speech.length; offset += 8000, messages++) {
            ws.sendBinary(ByteBuffer.wrap(speech, offset, Math.min(8000, speech.length - offset)), true).get(5, TimeUnit.SECONDS);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (texts.size() < messages && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(messages, texts.size(), "every audio message was answered: " + texts);
        var pipeline = gateway.runtime().pipeline("default").orElseThrow();
        try {
            pipeline.stop(java.time.Duration.ofSeconds(10));
            assertTrue(closed.get(10, TimeUnit.SECONDS).startsWith("1001 "), "closed: " + closed.get());
            String all = String.join(" ", texts);
            assertTrue(all.contains("go forward ten meters"), "the final was flushed before the close: " + texts);
        } finally {
            pipeline.start();
        }
    }

    private static String exchange(Socket socket, byte[] input) throws Exception {
        socket.setSoTimeout(10_000);
        socket.getOutputStream().write(input);
        InputStream in = socket.getInputStream();
        ByteArrayOutputStream reply = new ByteArrayOutputStream();
        byte[] buffer = new byte[4096];
        int n;
        try {
            while ((n = in.read(buffer)) >= 0) {
                reply.write(buffer, 0, n);
            }
        } catch (java.net.SocketException reset) {
            // closed after the reply
        }
        return reply.toString(StandardCharsets.UTF_8);
    }

    private Socket wyomingSocket() throws Exception {
        return new Socket(InetAddress.getLoopbackAddress(), wyoming.port());
    }

    @Test
    void wyomingRefusesConnectionsBeyondMaxSessions() throws Exception {
        try (Socket first = wyomingSocket(); Socket second = wyomingSocket()) {
            for (Socket s : List.of(first, second)) {
                s.getOutputStream().write("{\"type\": \"ping\"}\n".getBytes(StandardCharsets.UTF_8));
                byte[] line = new byte[256];
                s.setSoTimeout(5_000);
                int n = s.getInputStream().read(line);
                assertTrue(new String(line, 0, n, StandardCharsets.UTF_8).startsWith("{\"type\":\"pong\""));
            }
            try (Socket third = wyomingSocket()) {
                String reply = exchange(third, new byte[0]);
                assertTrue(reply.contains("\"code\":\"busy\"") && reply.contains("earshot.ingest.wyoming.max-sessions"), reply);
            }
        }
    }

    @Test
    void wyomingRefusesOversizedPayloadsAndHeaders() throws Exception {
        try (Socket socket = wyomingSocket()) {
            String reply = exchange(socket, "{\"type\": \"audio-chunk\", \"payload_length\": 65537}\n".getBytes(StandardCharsets.UTF_8));
            assertTrue(reply.contains("\"code\":\"too-large\"") && reply.contains("max-message-size"), reply);
        }
        try (Socket socket = wyomingSocket()) {
            byte[] header = ("{\"type\": \"describe\", \"pad\": \"" + "x".repeat(2000) + "\"}\n").getBytes(StandardCharsets.UTF_8);
            String reply = exchange(socket, header);
            assertTrue(reply.contains("\"code\":\"header-too-long\"") && reply.contains("max-header-size"), reply);
        }
    }

    @Test
    void wyomingClosesAnIdleConnection() throws Exception {
        try (Socket socket = wyomingSocket()) {
            String reply = exchange(socket, new byte[0]);
            assertTrue(reply.contains("\"code\":\"idle\""), reply);
        }
    }
}
