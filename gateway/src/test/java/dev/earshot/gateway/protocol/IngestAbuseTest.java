package dev.earshot.gateway.protocol;

import dev.earshot.gateway.SpeechFixtures;
import dev.earshot.gateway.protocol.voskserver.VoskEndpoint;
import dev.earshot.gateway.protocol.wyomingserver.WyomingServer;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What one client can do to the listeners, on real sockets: floods of requests whose replies it never reads (the
 * gateway stops reading it, its heap stays flat, it is closed), idle connections from one address (another address
 * still transcribes), and connections that never complete a handshake (closed after the handshake timeout) on the
 * vosk-server, Wyoming and HTTP ports. Other peers are other 127/8 addresses.
 */
@QuarkusTest
@TestProfile(IngestAbuseTest.ShortTimeouts.class)
class IngestAbuseTest {

    private static final long MIB = 1024 * 1024;

    /** Short stall and handshake timeouts; the per-address and session limits keep their defaults (8 and 16). */
    public static final class ShortTimeouts implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            // The HTTP port's per-address limit at its default (32): the shared test profile switches it off.
            return Map.of("earshot.ingest.write-stall-timeout", "5s", "earshot.ingest.handshake-timeout", "2s",
                    "earshot.ingest.http-max-connections-per-address", "32");
        }
    }

    @Inject
    VoskEndpoint vosk;

    @Inject
    WyomingServer wyoming;

    @Inject
    MeterRegistry registry;

    private double closed(String listener, String cause) {
        Counter counter = registry.find("earshot.ingest.clients.closed").tag("listener", listener).tag("cause", cause).counter();
        return counter == null ? 0 : counter.count();
    }

    private static void await(String what, long seconds, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(what + " within " + seconds + " s");
            }
            Thread.sleep(50);
        }
    }

    /**
     * Floods {@code unit} from a thread until the server stops taking bytes; checks the bytes it took and the heap while
     * it holds the client, then that the client is closed after the stall timeout and counted.
     */
    private void floodWithoutReading(Socket socket, byte[] unit, String listener, BooleanSupplier released) throws Exception {
        long[] baseline = JvmBaseline.measure();
        long directBaseline = direct();
        double stallsBefore = closed(listener, "write-stall");
        AtomicLong sent = new AtomicLong();
        long maxBytes = 512 * MIB;
        Thread writer = new Thread(() -> RawClients.flood(rawOut(socket), unit, maxBytes,
                System.nanoTime() + TimeUnit.SECONDS.toNanos(60), sent), "flooding client");
        writer.start();
        // Held: nothing more is taken for a second (TCP buffers on both sides are full).
        long last = -1;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (sent.get() != last && System.nanoTime() < deadline) {
            last = sent.get();
            Thread.sleep(1_000);
        }
        long taken = sent.get();
        long[] held = JvmBaseline.measure();
        long directHeld = direct();
        System.out.printf("%s flood without reading: the client got %.1f MiB out before it was held; heap after GC %d -> %d MiB;"
                        + " Netty direct memory %d -> %d MiB%n", listener, taken / (double) MIB, baseline[1] / MIB,
                held[1] / MIB, directBaseline / MIB, directHeld / MIB);
        assertTrue(directHeld <= directBaseline + 32 * MIB, "queued replies (direct memory) stay bounded: "
                + directBaseline / MIB + " -> " + directHeld / MIB + " MiB");
        assertTrue(writer.isAlive() || taken < maxBytes, "the client was held, not served to the end");
        assertTrue(taken < 64 * MIB, "the gateway stopped reading the client: it took " + taken / MIB + " MiB");
        assertTrue(held[1] <= baseline[1] + 32 * MIB, "heap after GC stays near " + baseline[1] / MIB + " MiB while the "
                + "client is held: " + held[1] / MIB + " MiB");
        writer.join(TimeUnit.SECONDS.toMillis(20));
        assertTrue(!writer.isAlive(), "the stalled client was closed (its writes fail)");
        // Closed at once: a close that waited for the unread replies resumed reading and discarded the rest.
        assertTrue(sent.get() < 64 * MIB, "the stalled client was closed, not read to its end: it got "
                + sent.get() / MIB + " MiB out");
        await(listener + " connection released", 10, released);
        assertEquals(stallsBefore + 1, closed(listener, "write-stall"), "the stall is counted");
        socket.close();
    }

    /**
     * Direct memory of the Vert.x and Netty pools and of the JDK: where replies wait for the socket once Netty has
     * copied them for writing.
     */
    private static long direct() {
        long used = Math.max(0, io.netty.util.internal.PlatformDependent.usedDirectMemory());
        for (io.netty.buffer.ByteBufAllocator allocator : List.of(io.netty.buffer.PooledByteBufAllocator.DEFAULT,
                io.vertx.core.buffer.impl.VertxByteBufAllocator.POOLED_ALLOCATOR)) {
            if (allocator instanceof io.netty.buffer.ByteBufAllocatorMetricProvider metrics) {
                used += metrics.metric().usedDirectMemory();
            }
        }
        for (java.lang.management.BufferPoolMXBean pool
                : java.lang.management.ManagementFactory.getPlatformMXBeans(java.lang.management.BufferPoolMXBean.class)) {
            if (pool.getName().equals("direct")) {
                used += pool.getMemoryUsed();
            }
        }
        return used;
    }

    /** Reads one Wyoming event (its header line and data) and returns the header. */
    private static JsonObject readEvent(Socket socket) throws IOException {
        java.io.InputStream in = socket.getInputStream();
        java.io.ByteArrayOutputStream line = new java.io.ByteArrayOutputStream();
        for (int b = in.read(); b != '\n'; b = in.read()) {
            if (b < 0) {
                throw new IOException("closed before an event came: " + line);
            }
            line.write(b);
        }
        JsonObject header = new JsonObject(line.toString(StandardCharsets.UTF_8));
        in.readNBytes(header.getInteger("data_length", 0) + header.getInteger("payload_length", 0));
        return header;
    }

    private static java.io.OutputStream rawOut(Socket socket) {
        try {
            return socket.getOutputStream();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void wyomingClientFloodingDescribeWithoutReadingIsHeldThenClosed() throws Exception {
        byte[] describes = "{\"type\": \"describe\"}\n".repeat(1000).getBytes(StandardCharsets.UTF_8);
        Socket socket = RawClients.connect("127.0.0.3", wyoming.port());
        // One exchange first: the flood measures the heap before it starts, which can outlast the 2 s handshake
        // timeout on a loaded machine; a greeted connection is past it.
        socket.getOutputStream().write("{\"type\": \"describe\"}\n".getBytes(StandardCharsets.UTF_8));
        readEvent(socket);
        floodWithoutReading(socket, describes, "wyoming", () -> wyoming.connections() == 0);
    }

    @Test
    void voskClientThatNeverReadsIsHeldThenClosed() throws Exception {
        Socket socket = RawClients.connect("127.0.0.4", vosk.port(), 8 * 1024);
        String head = RawClients.upgrade(socket, "/");
        assertEquals(101, RawClients.status(head), head);
        socket.getOutputStream().write(RawClients.frame(1, "{\"config\": {\"sample_rate\": 16000}}".getBytes(StandardCharsets.UTF_8)));
        // Tiny audio messages: each is owed a reply of its own.
        java.io.ByteArrayOutputStream unit = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < 1000; i++) {
            unit.writeBytes(RawClients.frame(2, new byte[2]));
        }
        floodWithoutReading(socket, unit.toByteArray(), "vosk", () -> vosk.connections() == 0);
    }

    private static String wyomingExchange(Socket socket, String event) throws IOException {
        socket.getOutputStream().write((event + "\n").getBytes(StandardCharsets.UTF_8));
        InputStream in = socket.getInputStream();
        java.io.ByteArrayOutputStream line = new java.io.ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0 && b != '\n') {
            line.write(b);
        }
        String header = line.toString(StandardCharsets.UTF_8);
        JsonObject parsed = new JsonObject(header);
        int dataLength = parsed.getInteger("data_length", 0);
        return header + new String(in.readNBytes(dataLength), StandardCharsets.UTF_8);
    }

    @Test
    void idleConnectionsFromOneAddressDoNotLockOutAnother() throws Exception {
        List<Socket> idle = new ArrayList<>();
        try {
            int wyomingHeld = 0;
            int wyomingRefused = 0;
            for (int i = 0; i < 20; i++) {
                Socket socket = RawClients.connect("127.0.0.1", wyoming.port());
                idle.add(socket);
                String reply = wyomingExchange(socket, "{\"type\": \"ping\"}");
                if (reply.startsWith("{\"type\":\"pong\"")) {
                    wyomingHeld++;
                } else {
                    assertTrue(reply.contains("\"busy\"") && reply.contains("earshot.ingest.max-connections-per-address"), reply);
                    wyomingRefused++;
                }
            }
            int voskHeld = 0;
            int voskRefused = 0;
            for (int i = 0; i < 20; i++) {
                Socket socket = RawClients.connect("127.0.0.1", vosk.port());
                idle.add(socket);
                String head = RawClients.upgrade(socket, "/");
                if (RawClients.status(head) == 101) {
                    voskHeld++;
                } else {
                    assertEquals(503, RawClients.status(head), head);
                    assertTrue(head.toLowerCase().contains("retry-after:"), head);
                    String body = RawClients.readBody(socket.getInputStream(), head, 4096);
                    assertTrue(body.contains("earshot.ingest.max-connections-per-address"), body);
                    voskRefused++;
                }
            }
            System.out.printf("20 idle connections from 127.0.0.1 per port: Wyoming %d held, %d refused; vosk %d held, %d refused%n",
                    wyomingHeld, wyomingRefused, voskHeld, voskRefused);
            assertEquals(8, wyomingHeld, "earshot.ingest.max-connections-per-address (8) Wyoming connections held");
            assertEquals(8, voskHeld, "earshot.ingest.max-connections-per-address (8) vosk connections held");

            Map<String, String> references = SpeechFixtures.librivoxReferences();
            List<String> args = new ArrayList<>(List.of("127.0.0.1", String.valueOf(wyoming.port()), "en"));
            references.keySet().forEach(clip -> args.add(SpeechFixtures.LIBRIVOX.resolve(clip).toString()));
            List<String> texts = ThirdPartyClients.wyomingTranscripts(ThirdPartyClients.replies(
                    ThirdPartyClients.startFrom("127.0.0.2", "wyoming_client.py", args.toArray(String[]::new))));
            SpeechFixtures.WerTally wyomingTally = new SpeechFixtures.WerTally("transcript (Wyoming from 127.0.0.2)");
            SpeechFixtures.WerTally voskTally = new SpeechFixtures.WerTally("transcript (vosk-server from 127.0.0.2)");
            int i = 0;
            for (Map.Entry<String, String> clip : references.entrySet()) {
                wyomingTally.add(clip.getKey(), clip.getValue(), texts.get(i++));
                Path wav = SpeechFixtures.LIBRIVOX.resolve(clip.getKey());
                List<JsonObject> replies = ThirdPartyClients.replies(ThirdPartyClients.startFrom("127.0.0.2",
                        "vosk_client.py", "ws://127.0.0.1:" + vosk.port() + "/", "stream", "8000",
                        "{\"config\": {\"sample_rate\": 16000}}", wav.toString()));
                assertEquals(1000, replies.remove(replies.size() - 1).getInteger("closed"), "closed normally: " + replies);
                voskTally.add(clip.getKey(), clip.getValue(), ThirdPartyClients.voskFinals(replies));
            }
            System.out.print(wyomingTally.report("LibriVox through Wyoming beside 20 idle connections"));
            System.out.print(voskTally.report("LibriVox through vosk-server beside 20 idle connections"));
            assertTrue(wyomingTally.wer() <= 10.0, "Wyoming WER " + wyomingTally.wer() + "%");
            assertTrue(voskTally.wer() <= 10.0, "vosk WER " + voskTally.wer() + "%");
        } finally {
            for (Socket socket : idle) {
                socket.close();
            }
        }
        await("idle connections released", 10, () -> wyoming.connections() == 0 && vosk.connections() == 0);
    }

    @Test
    void theHttpPortCountsConnectionsPerAddress() throws Exception {
        List<Socket> held = new ArrayList<>();
        try {
            int ok = 0;
            int refused = 0;
            for (int i = 0; i < 40; i++) {
                Socket socket = RawClients.connect("127.0.0.6", RestAssured.port);
                held.add(socket);
                socket.getOutputStream().write("GET /q/health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                String head = RawClients.readHead(socket.getInputStream());
                String body = RawClients.readBody(socket.getInputStream(), head, 4096);
                if (RawClients.status(head) == 200) {
                    ok++;
                } else {
                    assertEquals(503, RawClients.status(head), head);
                    assertTrue(head.toLowerCase().contains("retry-after:"), head);
                    assertTrue(body.contains("earshot.ingest.http-max-connections-per-address"), body);
                    refused++;
                }
            }
            System.out.printf("40 keep-alive connections from 127.0.0.6 to the HTTP port: %d served, %d refused%n", ok, refused);
            assertEquals(32, ok, "earshot.ingest.http-max-connections-per-address (32) served");
            // Another address is served meanwhile.
            try (Socket other = RawClients.connect("127.0.0.7", RestAssured.port)) {
                other.getOutputStream().write("GET /q/health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                assertEquals(200, RawClients.status(RawClients.readHead(other.getInputStream())));
            }
        } finally {
            for (Socket socket : held) {
                socket.close();
            }
        }
    }

    @Test
    void aServedHttpConnectionOutlivesTheHandshakeTimeout() throws Exception {
        try (Socket socket = RawClients.connect("127.0.0.8", RestAssured.port)) {
            for (int i = 0; i < 2; i++) {
                socket.getOutputStream().write("GET /q/health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                String head = RawClients.readHead(socket.getInputStream());
                assertEquals(200, RawClients.status(head), "request " + (i + 1) + " on one connection: " + head);
                RawClients.readBody(socket.getInputStream(), head, 4096);
                Thread.sleep(3_500); // longer than the handshake timeout (2 s), shorter than the idle timeout
            }
        }
    }

    @Test
    void aClientAskingForCleartextHttp2GetsItsSlowAnswer() throws Exception {
        // The JDK's HttpClient asks for h2c by default. An upgraded connection used to keep the handshake timeout (2 s
        // here) as its idle timeout, so an upload answered later than that got no answer at all (EOF).
        List<String> clips = new ArrayList<>();
        for (int round = 0; round < 3; round++) {
            try (var files = java.nio.file.Files.list(SpeechFixtures.LIBRIVOX)) {
                files.map(Path::toString).filter(f -> f.endsWith(".wav")).sorted().forEach(clips::add);
            }
        }
        clips.add("OUT");
        Path wav = SpeechFixtures.sox("librivox-three-times.wav", clips.toArray(String[]::new));
        java.net.http.HttpClient client = java.net.http.HttpClient.newHttpClient();
        long start = System.nanoTime();
        java.net.http.HttpResponse<String> reply = client.send(java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create("http://127.0.0.1:" + RestAssured.port + "/api/transcribe"))
                .header("Content-Type", "audio/wav").POST(java.net.http.HttpRequest.BodyPublishers.ofFile(wav)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        double seconds = (System.nanoTime() - start) / 1e9;
        assertEquals(200, reply.statusCode(), reply.body());
        assertTrue(seconds > 2, "the answer came after the handshake timeout (" + seconds + " s), as it must to test it");
        assertEquals(java.net.http.HttpClient.Version.HTTP_1_1, reply.version(), "h2c is not offered");
    }

    /** Seconds until the server closes a connection that sends nothing (EOF, reset or an error event first). */
    private static double silentFor(Socket socket) throws IOException {
        long start = System.nanoTime();
        InputStream in = socket.getInputStream();
        try {
            while (in.read() >= 0) {
                // an error event before the close
            }
        } catch (java.net.SocketException reset) {
            // closed
        }
        return (System.nanoTime() - start) / 1e9;
    }

    @Test
    void aSilentConnectionIsClosedAfterTheHandshakeTimeoutOnEachPort() throws Exception {
        double handshakeBefore = closed("wyoming", "handshake-timeout") + closed("vosk", "handshake-timeout");
        for (Map.Entry<String, Integer> port : Map.of("wyoming", wyoming.port(), "vosk", vosk.port(),
                "http", RestAssured.port).entrySet()) {
            try (Socket socket = RawClients.connect("127.0.0.9", port.getValue())) {
                socket.setSoTimeout(12_000);
                double seconds;
                try {
                    seconds = silentFor(socket);
                } catch (java.net.SocketTimeoutException e) {
                    throw new AssertionError(port.getKey() + " port: a silent connection is still open after 12 s");
                }
                System.out.printf("silent TCP connection to the %s port closed after %.1f s%n", port.getKey(), seconds);
                assertTrue(seconds >= 1.5 && seconds < 8, port.getKey() + " port: closed after " + seconds
                        + " s, expected about the handshake timeout (2 s)");
            }
        }
        assertEquals(handshakeBefore + 2, closed("wyoming", "handshake-timeout") + closed("vosk", "handshake-timeout"),
                "Wyoming and vosk handshake timeouts are counted");
    }
}
