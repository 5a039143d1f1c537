package dev.earshot.gateway.delivery;

import dev.earshot.gateway.pipeline.Pipeline;
import dev.earshot.gateway.runtime.GatewayRuntime;
import dev.earshot.gateway.runtime.TestRuntimes;
import dev.earshot.gateway.session.SpeechFeed;
import dev.earshot.gateway.settings.GatewayConfigException;
import dev.earshot.gateway.settings.RuntimeSettings;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.earshot.gateway.Mosquitto;
import dev.earshot.gateway.MqttSubscriber;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The MQTT sink against a real mosquitto broker and a real subscriber (mosquitto_sub), with real speech through the
 * real Vosk engine: the broker stopped and restarted mid-stream, and the gateway restarted while finals wait in the
 * spool. Every final arrives, in order, none lost; duplicates are allowed (at least once) and counted.
 */
public class MqttSinkOutageTest {

    private static final System.Logger LOG = System.getLogger(MqttSinkOutageTest.class.getName());
    private final ObjectMapper json = new ObjectMapper();

    @TempDir
    Path dir;

    private Vertx vertx;
    private Mosquitto broker;

    @BeforeEach
    void setUp() throws Exception {
        vertx = Vertx.vertx();
        broker = new Mosquitto(dir.resolve("broker"));
    }

    @AfterEach
    void tearDown() throws Exception {
        broker.close();
        vertx.close().toCompletionStage().toCompletableFuture().get();
    }

    private GatewayRuntime runtime(Path data) {
        Map<String, String> sink = Map.ofEntries(
                Map.entry("type", "mqtt"), Map.entry("url", broker.url()), Map.entry("device", "test-device"),
                Map.entry("reconnect-delay", "200ms"), Map.entry("max-reconnect-delay", "1s"),
                Map.entry("timeout", "3s"), Map.entry("retries", "1"), Map.entry("retry-delay", "100ms"),
                Map.entry("max-retry-delay", "1s"), Map.entry("queue-size", "16"));
        RuntimeSettings settings = new RuntimeSettings(SpeechFeed.home(), data,
                Map.of("p", TestRuntimes.pipeline("p", "vosk", List.of("broker"), 50, 8)),
                Map.of(ComponentKind.SINK, Map.of("broker", sink)), Map.of(), 2, Duration.ofSeconds(5),
                Duration.ofSeconds(5), 16);
        GatewayRuntime runtime = new GatewayRuntime(vertx, new SimpleMeterRegistry(), settings,
                PluginRegistry.load(getClass().getClassLoader()));
        runtime.start();
        return runtime;
    }

    /** Final events received by the subscriber, by id in arrival order (with duplicates). */
    private List<String> receivedFinalIds(MqttSubscriber subscriber) throws Exception {
        List<String> ids = new ArrayList<>();
        for (String line : subscriber.lines()) {
            int space = line.indexOf(' ');
            if (space > 0 && line.substring(0, space).equals("earshot/test-device/p/transcript")) {
                JsonNode event = json.readTree(line.substring(space + 1));
                assertEquals("final", event.get("type").asText());
                ids.add(event.get("id").asText());
            }
        }
        return ids;
    }

    @Test
    void brokerStoppedAndRestartedMidStreamEveryFinalArrivesInOrder() throws Exception {
        broker.start();
        long heapBefore = heapAfterGc();
        GatewayRuntime runtime = runtime(dir.resolve("data"));
        SinkChannel channel = runtime.sinks().iterator().next();
        SpeechFeed feed = new SpeechFeed();
        List<byte[]> clips = SpeechFeed.clips();
        long maxSpool = 0;
        try (MqttSubscriber subscriber = new MqttSubscriber(broker.port(), "earshot-test-sub", "earshot/test-device/#")) {
            awaitTrue(() -> subscriber.lines().stream().anyMatch(l -> l.equals("earshot/test-device/availability online")),
                    Duration.ofSeconds(10), "the subscriber sees the gateway online: " + subscriber.lines());
            Pipeline pipeline = runtime.pipeline("p").orElseThrow();
            // 3 rounds over the 5 clips, one session per clip, paced at about 4x real time.
            int fed = 0;
            boolean stopped = false;
            boolean restarted = false;
            long stoppedAt = 0;
            for (int round = 0; round < 3; round++) {
                for (byte[] clip : clips) {
                    feed.feed(pipeline, clip, 25);
                    fed++;
                    maxSpool = Math.max(maxSpool, channel.spool().bytes());
                    if (!stopped && receivedFinalIds(subscriber).size() >= 2) {
                        broker.stop();
                        stopped = true;
                        stoppedAt = feed.finals().size();
                    } else if (stopped && !restarted && feed.finals().size() >= stoppedAt + 4) {
                        assertTrue(channel.spool().events() > 0, "finals produced while the broker is down are spooled");
                        maxSpool = Math.max(maxSpool, channel.spool().bytes());
                        broker.start();
                        restarted = true;
                    }
                }
            }
            assertTrue(stopped && restarted, "the broker went down and came back during the stream");
            List<String> produced = feed.finals().stream().map(TranscriptEvent::id).toList();
            awaitTrue(() -> new LinkedHashSet<>(ids(subscriber)).size() >= produced.size(), Duration.ofSeconds(30),
                    "every final reaches the subscriber");
            List<String> received = receivedFinalIds(subscriber);
            List<String> unique = new ArrayList<>(new LinkedHashSet<>(received));
            assertEquals(produced, unique, "every final, exactly in order, de-duplicated by id");
            assertEquals(0, channel.droppedFinals());
            assertTrue(channel.spooled() > 0);
            runtime.stop();
            long heapAfter = heapAfterGc();
            String figures = String.format("MQTT broker outage: %d sessions, %d finals and %d partials produced, %d finals"
                            + " received (%d duplicates), %d spooled, max spool %d bytes, delivered %d, retried %d,"
                            + " dropped partials %d, dropped finals %d, heap after GC %d KiB before, %d KiB after",
                    fed, produced.size(), feed.partials(), received.size(), received.size() - unique.size(),
                    channel.spooled(), maxSpool, channel.delivered(), channel.retried(), channel.droppedPartials(),
                    channel.droppedFinals(), heapBefore / 1024, heapAfter / 1024);
            LOG.log(System.Logger.Level.INFO, figures);
            Files.writeString(Path.of("target/sink-outage-mqtt.txt"), figures + "\n");
        } finally {
            runtime.stop();
        }
    }

    private List<String> ids(MqttSubscriber subscriber) {
        try {
            return receivedFinalIds(subscriber);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void finalsSpooledWhenTheGatewayStopsAreDeliveredAfterItStartsAgain() throws Exception {
        Path data = dir.resolve("data");
        // The broker is down from the start: the sink connects in the background, finals go to the spool.
        GatewayRuntime first = runtime(data);
        SpeechFeed feed = new SpeechFeed();
        List<byte[]> clips = SpeechFeed.clips();
        long spooledBytes;
        long spooledEvents;
        try {
            Pipeline pipeline = first.pipeline("p").orElseThrow();
            for (byte[] clip : clips) {
                feed.feed(pipeline, clip, 0);
            }
        } finally {
            SinkChannel channel = first.sinks().iterator().next();
            first.stop();
            spooledBytes = channel.spool().maxBytesSeen();
            spooledEvents = channel.spooled();
            assertEquals(0, channel.droppedFinals());
            assertEquals(0, channel.delivered());
        }
        List<String> produced = feed.finals().stream().map(TranscriptEvent::id).toList();
        assertTrue(produced.size() >= clips.size(), "at least a final per clip: " + produced);
        Path spool = data.resolve("spool").resolve("broker");
        try (var files = Files.list(spool)) {
            assertTrue(files.anyMatch(f -> f.toString().endsWith(".jsonl")), "the spool is on disk after the stop");
        }

        broker.start();
        try (MqttSubscriber subscriber = new MqttSubscriber(broker.port(), "earshot-test-sub-2", "earshot/test-device/#")) {
            awaitTrue(subscriber::connected,
                    Duration.ofSeconds(10), "the subscriber is connected");
            GatewayRuntime second = runtime(data);
            try {
                awaitTrue(() -> new LinkedHashSet<>(ids(subscriber)).size() >= produced.size(), Duration.ofSeconds(30),
                        "the spooled finals reach the subscriber after the restart");
                List<String> received = receivedFinalIds(subscriber);
                assertEquals(produced, new ArrayList<>(new LinkedHashSet<>(received)), "in order, none lost");
                SinkChannel channel = second.sinks().iterator().next();
                awaitTrue(() -> channel.spool().isEmpty(), Duration.ofSeconds(5), "the spool is emptied");
                String figures = String.format("MQTT gateway restart: %d finals spooled (%d bytes) before the stop,"
                        + " %d received after the restart (%d duplicates)", spooledEvents, spooledBytes, received.size(),
                        received.size() - new LinkedHashSet<>(received).size());
                LOG.log(System.Logger.Level.INFO, figures);
                Files.writeString(Path.of("target/sink-outage-mqtt-restart.txt"), figures + "\n");
            } finally {
                second.stop();
            }
        }
        try (var files = Files.list(spool)) {
            assertEquals(List.of(), files.toList(), "nothing left in the spool");
        }
    }

    @Test
    void badConfigurationNamesTheSinkAndTheKey() {
        for (Map.Entry<String, String> bad : List.of(Map.entry("url", "mqtt://no-such-broker.invalid:1883"),
                Map.entry("topic", "earshot/{room}"), Map.entry("spool-full", "sometimes"), Map.entry("spool-size", "1K"))) {
            Map<String, String> sink = new java.util.HashMap<>(Map.of("type", "mqtt", "url", broker.url()));
            sink.put(bad.getKey(), bad.getValue());
            RuntimeSettings settings = new RuntimeSettings(SpeechFeed.home(), dir.resolve("data"),
                    Map.of("p", TestRuntimes.pipeline("p", "vosk", List.of("broker"), 50, 8)),
                    Map.of(ComponentKind.SINK, Map.of("broker", sink)), Map.of(), 1, Duration.ofSeconds(5),
                    Duration.ofSeconds(5), 16);
            GatewayRuntime runtime = new GatewayRuntime(vertx, new SimpleMeterRegistry(), settings,
                    PluginRegistry.load(getClass().getClassLoader()));
            GatewayConfigException e = org.junit.jupiter.api.Assertions.assertThrows(GatewayConfigException.class, runtime::start);
            assertTrue(e.getMessage().contains("earshot.sinks.broker." + bad.getKey()), e.getMessage());
            assertEquals(GatewayRuntime.State.FAILED, runtime.state());
        }
    }

    static long heapAfterGc() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(100);
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    static void awaitTrue(BooleanSupplier condition, Duration timeout, String what) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out after " + timeout.toSeconds() + " s waiting for: " + what);
            }
            Thread.sleep(50);
        }
    }

    static Set<String> unique(List<String> ids) {
        return new LinkedHashSet<>(ids);
    }
}
