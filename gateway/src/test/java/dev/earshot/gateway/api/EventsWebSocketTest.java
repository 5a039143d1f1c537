package dev.earshot.gateway.api;

import dev.earshot.json.TranscriptJson;
import dev.earshot.gateway.Gateway;
import dev.earshot.gateway.delivery.TestBus;
import dev.earshot.gateway.delivery.TranscriptBus;
import dev.earshot.spi.transcript.TranscriptEvent;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** {@code GET /api/events/ws}: the live stream over WebSocket, with the SSE stream's filters and overflow policy. */
@QuarkusTest
class EventsWebSocketTest {

    @Inject
    Gateway gateway;

    private static TranscriptEvent event(String pipeline, String session, long sequence, boolean isFinal, String text) {
        return new TranscriptEvent(session + "-" + sequence, isFinal ? TranscriptEvent.Type.FINAL : TranscriptEvent.Type.PARTIAL,
                pipeline, session, sequence, text, List.of(), List.of(), sequence * 0.1, Instant.now());
    }

    private TranscriptBus bus() {
        return gateway.runtime().bus();
    }

    private void awaitSubscribers(int count) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (bus().subscriberCount() != count) {
            if (System.nanoTime() > deadline) {
                fail("subscribers: " + bus().subscriberCount() + ", expected " + count);
            }
            Thread.sleep(10);
        }
    }

    /** The JDK's WebSocket client gets the events of the pipeline it asked for, finals only. */
    @Test
    void aClientGetsTheEventsItFilteredFor() throws Exception {
        int before = bus().subscriberCount();
        List<String> messages = new CopyOnWriteArrayList<>();
        CompletableFuture<Void> two = new CompletableFuture<>();
        WebSocket ws = HttpClient.newHttpClient().newWebSocketBuilder()
                .buildAsync(URI.create("ws://127.0.0.1:" + RestAssured.port + "/api/events/ws?pipeline=default&partials=false"),
                        new WebSocket.Listener() {
                            @Override
                            public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
                                messages.add(data.toString());
                                if (messages.size() == 2) {
                                    two.complete(null);
                                }
                                socket.request(1);
                                return null;
                            }
                        }).get(10, TimeUnit.SECONDS);
        awaitSubscribers(before + 1);
        TranscriptEvent first = event("default", "ws1", 1, true, "go forward ten meters");
        TestBus.publish(bus(), event("default", "ws1", 0, false, "go"));
        TestBus.publish(bus(), first);
        TestBus.publish(bus(), event("files", "ws2", 0, true, "another pipeline"));
        TranscriptEvent second = event("default", "ws1", 2, true, "turn left");
        TestBus.publish(bus(), second);
        two.get(10, TimeUnit.SECONDS);
        Thread.sleep(200);
        assertEquals(List.of(TranscriptJson.toJson(first), TranscriptJson.toJson(second)), messages);
        ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(5, TimeUnit.SECONDS);
        awaitSubscribers(before);
    }

    @Test
    void anUnknownPipelineIs404BeforeTheUpgrade() {
        given().get("/api/events/ws?pipeline=nope").then().statusCode(404);
    }

    /**
     * A client that completes the handshake and then never reads, with a small receive buffer: partials are dropped
     * and counted, then it is closed with 1008 and a reason; the server drops its subscription; heap stays bounded.
     */
    @Test
    void aClientThatNeverReadsIsClosedWithAReasonAndCostsBoundedMemory() throws Exception {
        int before = bus().subscriberCount();
        double droppedBefore = droppedMetric();
        try (Socket socket = new Socket()) {
            socket.setReceiveBufferSize(4096);
            socket.connect(new InetSocketAddress("127.0.0.1", RestAssured.port), 5000);
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            String key = Base64.getEncoder().encodeToString("earshot-test-key".getBytes(StandardCharsets.US_ASCII));
            out.write(("GET /api/events/ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Version: 13\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            DataInputStream in = new DataInputStream(socket.getInputStream());
            String status = readHeaders(in);
            assertTrue(status.startsWith("HTTP/1.1 101"), status);
            awaitSubscribers(before + 1);

            // Now stop reading. Publish a bounded burst: 2 KiB finals and partials, far more than socket buffers hold.
            long heapBefore = heapAfterGc();
            String words = "word ".repeat(400);
            int published = 0;
            for (int i = 0; i < 6000 && bus().subscriberCount() > before; i++) {
                TestBus.publish(bus(), event("default", "slow", i, i % 4 == 3, words + i));
                published++;
                if (i % 100 == 99) {
                    Thread.sleep(20); // let the event loop write
                }
            }
            awaitSubscribers(before);
            long heapAfter = heapAfterGc();
            assertTrue(published < 6000, "the client was dropped before the burst ended: " + published);

            // Read what the server managed to send, up to its close frame.
            int texts = 0;
            int closeCode = -1;
            String closeReason = null;
            try {
                while (closeCode < 0) {
                    int b0 = in.readUnsignedByte();
                    int b1 = in.readUnsignedByte();
                    long length = b1 & 0x7f;
                    if (length == 126) {
                        length = in.readUnsignedShort();
                    } else if (length == 127) {
                        length = in.readLong();
                    }
                    byte[] payload = in.readNBytes((int) length);
                    int opcode = b0 & 0x0f;
                    if (opcode == 1) {
                        texts++;
                    } else if (opcode == 8) {
                        closeCode = ((payload[0] & 0xff) << 8) | (payload[1] & 0xff);
                        closeReason = new String(payload, 2, payload.length - 2, StandardCharsets.UTF_8);
                    }
                }
            } catch (EOFException e) {
                fail("connection ended without a close frame after " + texts + " messages");
            }
            assertEquals(1008, closeCode);
            assertEquals("client too slow: 64 finals pending", closeReason);
            assertTrue(texts < published, texts + " of " + published + " events sent");
            assertTrue(droppedMetric() > droppedBefore, "drops counted");
            assertTrue(heapAfter - heapBefore < 16L * 1024 * 1024, "heap after GC grew by " + (heapAfter - heapBefore) / 1024 + " KiB");
            System.getLogger(getClass().getName()).log(System.Logger.Level.INFO, String.format(
                    "slow WebSocket client: %d events published before the close, %d sent, dropped %.0f, heap after GC %d KiB before, %d KiB after",
                    published, texts, droppedMetric() - droppedBefore, heapBefore / 1024, heapAfter / 1024));
        }
    }

    private static String readHeaders(InputStream in) throws Exception {
        ByteArrayOutputStream headers = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            headers.write(b);
            matched = (b == '\r' || b == '\n') ? matched + 1 : 0;
        }
        return headers.toString(StandardCharsets.US_ASCII);
    }

    private static double droppedMetric() {
        String metrics = RestAssured.get("/q/metrics").then().statusCode(200).extract().asString();
        return metrics.lines().filter(l -> l.startsWith("earshot_events_stream_dropped_total"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    private static long heapAfterGc() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(100);
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
