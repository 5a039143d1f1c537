package dev.earshot.gateway.delivery;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.earshot.gateway.Mosquitto;
import dev.earshot.gateway.MqttSubscriber;
import dev.earshot.gateway.pipeline.Pipeline;
import dev.earshot.gateway.plugin.ComponentKind;
import dev.earshot.gateway.plugin.PluginRegistry;
import dev.earshot.gateway.runtime.GatewayRuntime;
import dev.earshot.gateway.runtime.TestRuntimes;
import dev.earshot.gateway.session.SpeechFeed;
import dev.earshot.gateway.settings.RuntimeSettings;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Home Assistant MQTT discovery against a real mosquitto broker, read by a real subscriber (mosquitto_sub) the way
 * Home Assistant reads it: the entities of every pipeline that routes to the sink are there as soon as the gateway
 * is up (nobody has spoken yet), they come again when Home Assistant publishes its birth message, and a phrase said
 * twice reaches the event entity's topic twice.
 */
class MqttDiscoveryTest {

    private final ObjectMapper json = new ObjectMapper();

    @TempDir
    Path dir;

    private Vertx vertx;
    private Mosquitto broker;
    private GatewayRuntime runtime;

    @BeforeEach
    void setUp() throws Exception {
        vertx = Vertx.vertx();
        broker = new Mosquitto(dir.resolve("broker"));
        broker.start();
        Map<String, String> sink = Map.of("type", "mqtt", "url", broker.url(), "device", "kitchen-pi",
                "ha-discovery", "true", "ha-configuration-url", "http://kitchen-pi.local:8080/",
                "reconnect-delay", "200ms", "timeout", "3s");
        RuntimeSettings settings = new RuntimeSettings(SpeechFeed.home(), dir.resolve("data"),
                Map.of("kitchen", TestRuntimes.pipeline("kitchen", "vosk", List.of("broker"), 50, 4),
                        "hall", TestRuntimes.pipeline("hall", "vosk", List.of("broker"), 50, 4)),
                Map.of(ComponentKind.SINK, Map.of("broker", sink)), Map.of(), 2, Duration.ofSeconds(5),
                Duration.ofSeconds(5), 16);
        runtime = new GatewayRuntime(vertx, new SimpleMeterRegistry(), settings,
                PluginRegistry.load(getClass().getClassLoader()));
    }

    @AfterEach
    void tearDown() throws Exception {
        if (runtime != null) {
            runtime.stop();
        }
        broker.close();
        vertx.close().toCompletionStage().toCompletableFuture().get();
    }

    @Test
    void everyRoutedPipelineIsAnnouncedAtStartAndAgainWhenHomeAssistantComesOnline() throws Exception {
        try (MqttSubscriber homeAssistant = new MqttSubscriber(broker.port(), "ha-test", "homeassistant/#")) {
            awaitTrue(homeAssistant::connected, Duration.ofSeconds(10), "the subscriber is subscribed");
            runtime.start();

            List<String> expected = List.of(
                    "homeassistant/event/earshot_kitchen-pi_broker_hall/config",
                    "homeassistant/event/earshot_kitchen-pi_broker_kitchen/config",
                    "homeassistant/sensor/earshot_kitchen-pi_broker_hall/config",
                    "homeassistant/sensor/earshot_kitchen-pi_broker_kitchen/config");
            awaitTrue(() -> configs(homeAssistant).size() == 4, Duration.ofSeconds(10),
                    "four discovery configs before anyone spoke: " + homeAssistant.lines());
            assertEquals(expected, new ArrayList<>(new TreeSet<>(configTopics(homeAssistant))));

            JsonNode event = configs(homeAssistant).get("homeassistant/event/earshot_kitchen-pi_broker_kitchen/config");
            assertEquals("event.earshot_kitchen_pi_kitchen_transcript", event.get("default_entity_id").asText());
            assertFalse(event.has("object_id"), "object_id is gone from Home Assistant's discovery schema");
            assertEquals("earshot/kitchen-pi/kitchen/transcript", event.get("state_topic").asText());
            assertEquals("[\"transcript\"]", event.get("event_types").toString());
            assertTrue(event.get("value_template").asText().contains("'event_type': 'transcript'"));
            assertEquals("Earshot", event.at("/origin/name").asText());
            assertFalse(event.at("/origin/sw_version").asText().isBlank(), "origin carries the version: " + event);
            assertEquals(event.at("/origin/sw_version").asText(), event.at("/device/sw_version").asText());
            assertEquals("http://kitchen-pi.local:8080/", event.at("/device/configuration_url").asText());
            assertEquals("earshot/kitchen-pi/availability", event.get("availability_topic").asText());
            JsonNode sensor = configs(homeAssistant).get("homeassistant/sensor/earshot_kitchen-pi_broker_hall/config");
            assertEquals("sensor.earshot_kitchen_pi_hall_last_transcript", sensor.get("default_entity_id").asText());
            assertNotEquals(sensor.get("unique_id").asText(), event.get("unique_id").asText());

            // Home Assistant restarted: its birth message asks for discovery again.
            int before = configMessages(homeAssistant);
            publish("homeassistant/status", "online");
            awaitTrue(() -> configMessages(homeAssistant) >= before + 4, Duration.ofSeconds(10),
                    "the four configs are published again after the birth message: " + homeAssistant.lines());
        }
    }

    @Test
    void thePhraseSaidTwiceReachesTheEventTopicTwice() throws Exception {
        runtime.start();
        byte[] clip = SpeechFeed.clips().get(0);
        try (MqttSubscriber subscriber = new MqttSubscriber(broker.port(), "ha-events", "earshot/kitchen-pi/kitchen/transcript")) {
            awaitTrue(subscriber::connected, Duration.ofSeconds(10), "the subscriber is subscribed");
            SpeechFeed feed = new SpeechFeed();
            Pipeline pipeline = runtime.pipeline("kitchen").orElseThrow();
            feed.feed(pipeline, clip, 0);
            feed.feed(pipeline, clip, 0);
            List<String> said = feed.finals().stream().map(e -> e.text()).filter(t -> !t.isBlank()).toList();
            awaitTrue(() -> finals(subscriber).size() >= said.size(), Duration.ofSeconds(15),
                    "every final on the state topic: " + subscriber.lines());
            List<JsonNode> received = finals(subscriber);
            assertEquals(said.size(), received.size(), "one message per final");
            int half = said.size() / 2;
            assertTrue(half > 0 && said.subList(0, half).equals(said.subList(half, said.size())),
                    "the same clip gives the same finals twice: " + said);
            assertEquals(received.size(), received.stream().map(e -> e.get("id").asText()).distinct().count(),
                    "each message is its own event (distinct ids), so the event entity fires each time");
        }
    }

    private List<JsonNode> finals(MqttSubscriber subscriber) {
        List<JsonNode> finals = new ArrayList<>();
        for (String line : subscriber.lines()) {
            if (line.startsWith("earshot/kitchen-pi/kitchen/transcript ")) {
                try {
                    JsonNode event = json.readTree(line.substring(line.indexOf(' ') + 1));
                    if (!event.get("text").asText().isBlank()) {
                        finals.add(event);
                    }
                } catch (Exception e) {
                    fail("not JSON: " + line);
                }
            }
        }
        return finals;
    }

    private Set<String> configTopics(MqttSubscriber subscriber) {
        return configs(subscriber).keySet();
    }

    private static int configMessages(MqttSubscriber subscriber) {
        return (int) subscriber.lines().stream().filter(l -> l.startsWith("homeassistant/") && l.contains("/config {")).count();
    }

    /** The last config seen per discovery topic. */
    private Map<String, JsonNode> configs(MqttSubscriber subscriber) {
        Map<String, JsonNode> configs = new TreeMap<>();
        for (String line : subscriber.lines()) {
            int space = line.indexOf(' ');
            if (line.startsWith("homeassistant/") && space > 0 && line.substring(0, space).endsWith("/config")) {
                try {
                    configs.put(line.substring(0, space), json.readTree(line.substring(space + 1)));
                } catch (Exception e) {
                    fail("not JSON: " + line);
                }
            }
        }
        return configs;
    }

    private void publish(String topic, String payload) throws Exception {
        Process pub = new ProcessBuilder("mosquitto_pub", "-h", "127.0.0.1", "-p", String.valueOf(broker.port()),
                "-t", topic, "-m", payload).redirectErrorStream(true).start();
        assertTrue(pub.waitFor(10, TimeUnit.SECONDS) && pub.exitValue() == 0,
                "mosquitto_pub: " + new String(pub.getInputStream().readAllBytes()));
    }

    private static void awaitTrue(BooleanSupplier condition, Duration timeout, String what) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out: " + what);
            }
            Thread.sleep(50);
        }
    }
}
