package dev.earshot.gateway.delivery;

import dev.earshot.gateway.pipeline.Pipeline;
import dev.earshot.gateway.runtime.GatewayRuntime;
import dev.earshot.gateway.runtime.TestRuntimes;
import dev.earshot.gateway.session.SpeechFeed;
import dev.earshot.gateway.settings.RuntimeSettings;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.earshot.gateway.plugin.ComponentKind;
import dev.earshot.gateway.plugin.PluginRegistry;
import dev.earshot.spi.transcript.TranscriptEvent;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.earshot.gateway.delivery.MqttSinkOutageTest.awaitTrue;
import static dev.earshot.gateway.delivery.MqttSinkOutageTest.heapAfterGc;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The webhook sink against a real HTTP receiver on loopback (the JDK's server), with real speech through Vosk: a
 * receiver that fails for a while, and one that takes 5 s per request.
 */
class WebhookSinkOutageTest {

    private static final System.Logger LOG = System.getLogger(WebhookSinkOutageTest.class.getName());
    private final ObjectMapper json = new ObjectMapper();

    @TempDir
    Path dir;

    private Vertx vertx;
    private HttpServer server;
    private ExecutorService serverThreads;
    private final List<String> receivedIds = new CopyOnWriteArrayList<>();
    private final AtomicInteger requests = new AtomicInteger();
    private final AtomicBoolean failing = new AtomicBoolean();
    private volatile long delayMillis;

    @BeforeEach
    void setUp() throws Exception {
        vertx = Vertx.vertx();
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        serverThreads = Executors.newFixedThreadPool(4);
        server.setExecutor(serverThreads);
        server.createContext("/hook", exchange -> {
            requests.incrementAndGet();
            byte[] body = exchange.getRequestBody().readAllBytes();
            try {
                Thread.sleep(delayMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            int status = failing.get() ? 500 : 200;
            if (status == 200) {
                receivedIds.add(json.readTree(new String(body, StandardCharsets.UTF_8)).get("id").asText());
            }
            byte[] reply = (status == 200 ? "ok" : "database unavailable").getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(status, reply.length);
            exchange.getResponseBody().write(reply);
            exchange.close();
        });
        server.start();
    }

    @AfterEach
    void tearDown() throws Exception {
        server.stop(0);
        serverThreads.shutdownNow();
        vertx.close().toCompletionStage().toCompletableFuture().get();
    }

    private GatewayRuntime runtime(Map<String, String> extra) {
        Map<String, String> sink = new HashMap<>(Map.of("type", "webhook",
                "url", "http://127.0.0.1:" + server.getAddress().getPort() + "/hook",
                "retries", "2", "retry-delay", "100ms", "max-retry-delay", "1s"));
        sink.putAll(extra);
        RuntimeSettings settings = new RuntimeSettings(SpeechFeed.home(), dir.resolve("data"),
                Map.of("p", TestRuntimes.pipeline("p", "vosk", List.of("hook"), 50, 8)),
                Map.of(ComponentKind.SINK, Map.of("hook", sink)), Map.of(), 2, Duration.ofSeconds(5),
                Duration.ofSeconds(5), 16);
        GatewayRuntime runtime = new GatewayRuntime(vertx, new SimpleMeterRegistry(), settings,
                PluginRegistry.load(getClass().getClassLoader()));
        runtime.start();
        return runtime;
    }

    @Test
    void aReceiverAnswering500ForAWhileGetsEveryFinalOnceItRecovers() throws Exception {
        failing.set(true);
        GatewayRuntime runtime = runtime(Map.of("timeout", "5s"));
        try {
            SinkChannel channel = runtime.sinks().iterator().next();
            Pipeline pipeline = runtime.pipeline("p").orElseThrow();
            SpeechFeed feed = new SpeechFeed();
            List<byte[]> clips = SpeechFeed.clips();
            for (byte[] clip : clips) {
                feed.feed(pipeline, clip, 0);
            }
            List<String> produced = feed.finals().stream().map(TranscriptEvent::id).toList();
            awaitTrue(() -> channel.spool().events() == produced.size(), Duration.ofSeconds(20),
                    "every final spooled while the receiver fails: " + channel.spool().events() + " of " + produced.size());
            long maxSpool = channel.spool().maxBytesSeen();
            int failedRequests = requests.get();
            assertTrue(receivedIds.isEmpty());
            failing.set(false);
            awaitTrue(() -> receivedIds.size() >= produced.size(), Duration.ofSeconds(20), "delivered after recovery");
            assertEquals(produced, new ArrayList<>(new LinkedHashSet<>(receivedIds)), "every final, in order");
            assertEquals(0, channel.droppedFinals());
            awaitTrue(() -> channel.spool().isEmpty(), Duration.ofSeconds(5), "spool emptied");
            String figures = String.format("webhook 500 then 200: %d finals produced, %d requests answered 500, %d"
                            + " finals received (%d duplicates), max spool %d bytes, retried %d, dropped finals %d",
                    produced.size(), failedRequests, receivedIds.size(),
                    receivedIds.size() - new LinkedHashSet<>(receivedIds).size(), maxSpool, channel.retried(),
                    channel.droppedFinals());
            LOG.log(System.Logger.Level.INFO, figures);
            Files.writeString(Path.of("target/sink-outage-webhook-500.txt"), figures + "\n");
        } finally {
            runtime.stop();
        }
    }

    /**
     * 5 s per request, partials on, a queue of 1: partials are dropped and counted, finals overflow into the spool
     * and all arrive; the heap after GC is back where it was and the queue never exceeds its bound.
     */
    @Test
    void aReceiverTaking5sPerRequestKeepsTheHeapFlatAndGetsEveryFinal() throws Exception {
        delayMillis = 5_000;
        long heapBefore = heapAfterGc();
        GatewayRuntime runtime = runtime(Map.of("timeout", "15s", "partials", "true", "queue-size", "1"));
        try {
            SinkChannel channel = runtime.sinks().iterator().next();
            Pipeline pipeline = runtime.pipeline("p").orElseThrow();
            SpeechFeed feed = new SpeechFeed();
            long peakHeap = 0;
            for (byte[] clip : SpeechFeed.clips()) {
                feed.feed(pipeline, clip, 0);
                peakHeap = Math.max(peakHeap, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
            }
            List<String> produced = feed.finals().stream().map(TranscriptEvent::id).toList();
            long maxSpool = channel.spool().maxBytesSeen();
            assertTrue(channel.spooled() > 0, "finals that found the queue full of finals went to the spool");
            awaitTrue(() -> new LinkedHashSet<>(receivedIds).containsAll(produced), Duration.ofSeconds(produced.size() * 6L + 10),
                    "every final delivered: " + receivedIds.size() + " of " + produced.size());
            List<String> finalsReceived = receivedIds.stream().filter(produced::contains).toList();
            assertEquals(produced, new ArrayList<>(new LinkedHashSet<>(finalsReceived)), "finals in order");
            assertEquals(0, channel.droppedFinals());
            assertTrue(channel.droppedPartials() > 0, "partials dropped and counted: " + channel.droppedPartials());
            assertTrue(channel.maxDepth() <= 1, "queue within its bound: " + channel.maxDepth());
            runtime.stop();
            long heapAfter = heapAfterGc();
            assertTrue(heapAfter - heapBefore < 16L * 1024 * 1024, "heap after GC grew by "
                    + (heapAfter - heapBefore) / 1024 + " KiB");
            String figures = String.format("webhook 5 s per request: %d finals and %d partials produced, %d requests,"
                            + " %d spooled, max spool %d bytes, max queue depth %d of 1, dropped partials %d, dropped finals"
                            + " %d, heap after GC %d KiB before, %d KiB after (peak used during the run %d KiB)",
                    produced.size(), feed.partials(), requests.get(), channel.spooled(), maxSpool, channel.maxDepth(),
                    channel.droppedPartials(), channel.droppedFinals(), heapBefore / 1024, heapAfter / 1024,
                    peakHeap / 1024);
            LOG.log(System.Logger.Level.INFO, figures);
            Files.writeString(Path.of("target/sink-outage-webhook-slow.txt"), figures + "\n");
        } finally {
            runtime.stop();
        }
    }
}
