package dev.earshot.gateway.runtime;

import dev.earshot.gateway.plugin.ComponentKind;
import dev.earshot.gateway.plugin.FakePlugin;
import dev.earshot.gateway.plugin.PluginRegistry;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.ref.WeakReference;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A stopped runtime takes its meters with it. The registry is the process's and outlives the runtime, and a gauge holds
 * what it reads (a pipeline, a sink's channel, admission): meters left behind kept every stopped runtime reachable
 * (in the test JVM, one per Quarkus restart: 13 of them, found with a heap dump) and would read stale values.
 */
class RuntimeMetersTest {

    @TempDir
    Path home;

    private final Vertx vertx = Vertx.vertx();

    @AfterEach
    void closeVertx() {
        vertx.close().toCompletionStage().toCompletableFuture().join();
    }

    @Test
    void aStoppedRuntimeLeavesNoMetersAndNothingInTheRegistryHoldsIt() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        registry.counter("other.component.events");
        WeakReference<GatewayRuntime> stopped = runAndStop(registry);
        assertEquals(List.of("other.component.events"), names(registry), "only the meter that is not the runtime's");
        for (int i = 0; i < 20 && stopped.get() != null; i++) {
            System.gc();
            Thread.sleep(50);
        }
        assertNull(stopped.get(), "the stopped runtime can be collected");
    }

    /** Starts a runtime with a pipeline and a sink, checks that their meters exist, stops it; holds nothing of it. */
    private WeakReference<GatewayRuntime> runAndStop(SimpleMeterRegistry registry) {
        var settings = TestRuntimes.settings(home, Map.of("p", TestRuntimes.pipeline("p", "counting", List.of("mem"), 8, 4)),
                Map.of(ComponentKind.SINK, Map.of("mem", Map.of("type", "memory"))), 1);
        GatewayRuntime runtime = new GatewayRuntime(vertx, registry, settings, PluginRegistry.of(List.of(new FakePlugin())));
        runtime.start();
        List<String> running = names(registry);
        for (String name : List.of("earshot.sessions.active", "earshot.sink.queue.depth", "earshot.decode.load")) {
            assertTrue(running.contains(name), name + " while running: " + running);
        }
        runtime.stop();
        return new WeakReference<>(runtime);
    }

    private static List<String> names(SimpleMeterRegistry registry) {
        return registry.getMeters().stream().map(Meter::getId).map(Meter.Id::getName).distinct().sorted().toList();
    }
}
