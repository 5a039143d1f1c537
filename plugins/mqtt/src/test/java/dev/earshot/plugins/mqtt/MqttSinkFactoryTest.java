package dev.earshot.plugins.mqtt;

import dev.earshot.conformance.TestPluginContext;
import dev.earshot.spi.Plugin;
import dev.earshot.spi.PluginException;
import dev.earshot.spi.sink.TranscriptSinkFactory;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.ServiceLoader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Configuration mistakes fail creation with a message naming the sink's key; checked without a broker. */
class MqttSinkFactoryTest {

    private static Vertx vertx;

    @TempDir
    Path home;

    @BeforeAll
    static void startVertx() {
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void stopVertx() {
        vertx.close();
    }

    private static TranscriptSinkFactory factory() {
        for (Plugin plugin : ServiceLoader.load(Plugin.class)) {
            for (TranscriptSinkFactory factory : plugin.sinkFactories()) {
                if (factory.name().equals("mqtt")) {
                    return factory;
                }
            }
        }
        throw new AssertionError("the mqtt sink is not found through ServiceLoader");
    }

    private String error(Map<String, String> options, boolean withVertx) {
        Map<String, String> all = new HashMap<>(Map.of("url", "mqtt://127.0.0.1:1"));
        all.putAll(options);
        PluginException e = assertThrows(PluginException.class, () -> factory().create(withVertx
                ? TestPluginContext.sink("broker", all, home).withService(Vertx.class, vertx)
                : TestPluginContext.sink("broker", all, home)));
        return e.getMessage();
    }

    @Test
    void mistakesNameTheKey() {
        assertTrue(error(Map.of("topic", "earshot/{device}/{room}/transcript"), true)
                .startsWith("earshot.sinks.broker.topic: 'earshot/{device}/{room}/transcript' uses unknown placeholder {room}"));
        assertTrue(error(Map.of("partial-topic", "earshot/+/partial"), true)
                .startsWith("earshot.sinks.broker.partial-topic: 'earshot/+/partial' contains an MQTT wildcard"));
        assertTrue(error(Map.of("topic", "earshot/#"), true).startsWith("earshot.sinks.broker.topic:"));
        assertTrue(error(Map.of("topic", "earshot/{device"), true)
                .startsWith("earshot.sinks.broker.topic: 'earshot/{device' has a '{' without '}'"));
        assertTrue(error(Map.of("availability-topic", "earshot/{pipeline}/status"), true)
                .startsWith("earshot.sinks.broker.availability-topic:"));
        assertTrue(error(Map.of("url", "http://127.0.0.1:1883"), true)
                .startsWith("earshot.sinks.broker.url: 'http://127.0.0.1:1883' is not valid; expected mqtt://host[:port]"));
        String unresolvable = error(Map.of("url", "mqtt://no-such-broker.invalid:1883"), true);
        assertTrue(unresolvable.startsWith("earshot.sinks.broker.url: sink 'broker': broker host 'no-such-broker.invalid'"
                + " cannot be resolved"), unresolvable);
        assertTrue(error(Map.of("username", "u", "password-file", "missing.txt"), true)
                .startsWith("earshot.sinks.broker.password-file: file "));
        assertTrue(error(Map.of("qos", "3"), true).startsWith("earshot.sinks.broker.qos: '3' is not valid"));
        assertTrue(error(Map.of("tls-trust-file", "ca.pem"), true)
                .startsWith("earshot.sinks.broker.tls-trust-file is set but earshot.sinks.broker.url is not mqtts://"));
        assertTrue(error(Map.of("ha-discovery", "true", "topic", "t/{session}"), true)
                .startsWith("earshot.sinks.broker.ha-discovery:"));
        assertTrue(error(Map.of("ha-discovery", "true", "partial-topic", "earshot/{device}/{pipeline}/transcript"), true)
                .contains("give partials a topic of their own or set earshot.sinks.broker.partials=false"));
        assertTrue(error(Map.of("ha-discovery", "true", "ha-configuration-url", "kitchen-pi:8080"), true)
                .startsWith("earshot.sinks.broker.ha-configuration-url: 'kitchen-pi:8080' is not valid"));
        assertEquals("sink 'broker' (type mqtt) needs the gateway's Vert.x, which this host does not offer",
                error(Map.of(), false));
    }

    @Test
    void topicsRenderWithSafeValues() {
        TopicTemplate template = TopicTemplate.parse("k", "earshot/{device}/{pipeline}/transcript", MqttSinkFactory.TOPIC_PLACEHOLDERS);
        assertEquals("earshot/pi_4/kitchen_/transcript",
                template.render(Map.of("device", "pi/4", "pipeline", "kitchen#")));
    }
}
