package dev.earshot.gateway.protocol;

import dev.earshot.gateway.protocol.voskserver.VoskEndpoint;
import dev.earshot.gateway.protocol.wyomingserver.WyomingServer;
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

    /**
     * Small limits; the idle timeout is short enough for the idle tests and long enough that connections held open
     * by the session-limit tests are not closed as idle while a slow machine sets up the next one.
     */
    public static final class SmallLimits implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "earshot.ingest.vosk.max-sessions", "2",
                    "earshot.ingest.vosk.max-message-size", "64K",
                    "earshot.ingest.vosk.idle-timeout", "3s",
                    "earshot.ingest.wyoming.max-sessions", "2",
                    "earshot.ingest.wyoming.max-message-size", "64K",
                    "earshot.ingest.wyoming.max-header-size", "1K",
                    "earshot.ingest.wyoming.idle-timeout", "3s");
        }
    }

    @Inject
    VoskEndpoint vosk;

    @Inject
    WyomingServer wyoming;

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
        String closed = listener.closed.get(15, TimeUnit.SECONDS);
        assertTrue(closed.startsWith("1001 ") && closed.contains("idle"), closed);
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
