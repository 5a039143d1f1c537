package dev.earshot.gateway.runtime;

import dev.earshot.gateway.plugin.ComponentKind;
import dev.earshot.gateway.plugin.FakePlugin;
import dev.earshot.gateway.plugin.PluginRegistry;
import dev.earshot.gateway.settings.GatewayConfigException;
import dev.earshot.spi.Plugin;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Settings of built-in plugins are checked against the options their factories declare before anything is created:
 * start-up fails with the full key and the declared type, a misspelled key gets the closest declared one, a missing
 * required option its description, and an option a factory reads only sometimes is not taken for a typo.
 */
class DeclaredOptionsTest {

    @TempDir
    Path home;

    private final Vertx vertx = Vertx.vertx();

    @AfterEach
    void closeVertx() {
        vertx.close().toCompletionStage().toCompletableFuture().join();
    }

    private static PluginRegistry builtInsAndFake() {
        List<Plugin> plugins = new ArrayList<>();
        ServiceLoader.load(Plugin.class, DeclaredOptionsTest.class.getClassLoader()).forEach(plugins::add);
        plugins.add(new FakePlugin());
        return PluginRegistry.of(plugins);
    }

    private GatewayConfigException startFails(String sink, Map<String, String> options) {
        var settings = TestRuntimes.settings(home, Map.of("p", TestRuntimes.pipeline("p", "counting", List.of(sink), 8, 4)),
                Map.of(ComponentKind.SINK, Map.of(sink, options)), 1);
        var runtime = new GatewayRuntime(vertx, new SimpleMeterRegistry(), settings, builtInsAndFake());
        try {
            var error = assertThrows(GatewayConfigException.class, runtime::start);
            assertEquals(GatewayRuntime.State.FAILED, runtime.state());
            return error;
        } finally {
            runtime.stop();
        }
    }

    @Test
    void anOptionOfTheWrongTypeFailsStartUpWithTheDeclaredType() {
        var error = startFails("alerts", Map.of("type", "mqtt", "url", "mqtt://127.0.0.1:1883", "qos", "high"));
        assertEquals(List.of("earshot.sinks.alerts.qos: 'high' is not valid; expected a whole number (option 'qos' is"
                + " declared as integer)"), error.problems());
    }

    @Test
    void aMisspelledKeyGetsTheDeclaredOneAndAMissingRequiredOneItsDescription() {
        var error = startFails("alerts", Map.of("type", "mqtt", "qso", "2"));
        assertEquals(List.of("earshot.sinks.alerts.qso: unknown option; did you mean earshot.sinks.alerts.qos?",
                "earshot.sinks.alerts.url is required: The broker: mqtt://host[:1883] or mqtts://host[:8883] (TLS); a"
                        + " host name that cannot be resolved fails start-up."), error.problems());
    }

    @Test
    void aSecretValueOfTheWrongTypeIsNotShownAndNothingIsCreated() {
        var error = startFails("hook", Map.of("type", "webhook", "url", "http://127.0.0.1:9/hook",
                "header.Authorization", "Bearer Secret-77zz", "timeout", "soon"));
        assertEquals(List.of("earshot.sinks.hook.header.Authorization: unknown option; did you mean"
                        + " earshot.sinks.hook.headers.<key>?",
                "earshot.sinks.hook.timeout: 'soon' is not valid; expected a duration such as 250ms, 5s, 2m or PT1S"
                        + " (option 'timeout' is declared as duration)"), error.problems());
        assertFalse(error.getMessage().contains("Secret-77zz"), error.getMessage());
    }

    @Test
    void anOptionReadOnlyUnderAnotherOneIsNotTakenForATypo() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        // ha-discovery-prefix is read only when ha-discovery is on: undeclared, it was reported as unknown
        var settings = TestRuntimes.settings(home, Map.of("p", TestRuntimes.pipeline("p", "counting", List.of("alerts"), 8, 4)),
                Map.of(ComponentKind.SINK, Map.of("alerts", Map.of("type", "mqtt", "url", "mqtt://127.0.0.1:" + closedPort,
                        "ha-discovery-prefix", "ha", "qos", "0"))), 1);
        var runtime = new GatewayRuntime(vertx, new SimpleMeterRegistry(), settings, builtInsAndFake());
        try {
            runtime.start();
            assertEquals(GatewayRuntime.State.RUNNING, runtime.state());
        } finally {
            runtime.stop();
        }
    }
}
