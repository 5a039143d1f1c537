package dev.earshot.gateway.runtime;

import dev.earshot.gateway.plugin.ComponentKind;
import dev.earshot.gateway.plugin.FakePlugin;
import dev.earshot.gateway.plugin.PluginRegistry;
import dev.earshot.gateway.session.Session;
import dev.earshot.gateway.session.SessionRequest;
import dev.earshot.spi.audio.AudioFormat;
import dev.earshot.spi.engine.EngineStat;
import dev.earshot.spi.source.Pacing;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The runtime's meters go with what they read. An engine's own figures ({@code SpeechEngine.stats()}) reach the
 * metrics as {@code earshot.engine.<name>} tagged with the engine's id and type, are read live, cost a misbehaving
 * plugin only the bad stat, and go with the engine. A stopped runtime takes all its meters with it: the registry is
 * the process's and outlives the runtime, and a gauge holds what it reads (a pipeline, a sink's channel, admission),
 * so meters left behind kept every stopped runtime reachable (in the test JVM, one per Quarkus restart: 13 of them,
 * found with a heap dump) and would read stale values.
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
    void statsAreExportedReadLiveAndRemovedWithTheEngine() throws Exception {
        FakePlugin plugin = new FakePlugin();
        AtomicLong made = new AtomicLong();
        plugin.engineStats = List.of(
                EngineStat.gauge("recognizers.open", "Recognizers open", plugin.openRecognizers::get),
                EngineStat.counter("recognizers.made", "Recognizers made", made::get),
                EngineStat.gauge("broken", "Throws when read", () -> {
                    throw new IllegalStateException("boom");
                }),
                EngineStat.gauge("recognizers.open", "The same name again", () -> 42));
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        var settings = TestRuntimes.settings(home, Map.of("p", TestRuntimes.pipeline("p", "counting", List.of(), 8, 4)),
                Map.of(), 1);
        GatewayRuntime runtime = new GatewayRuntime(vertx, registry, settings, PluginRegistry.of(List.of(plugin)));
        runtime.start();
        try {
            Gauge open = registry.find("earshot.engine.recognizers.open").tag("engine", "counting").tag("type", "counting").gauge();
            assertNotNull(open, "the gauge is exported with the engine's id and type");
            assertEquals(1, registry.find("earshot.engine.recognizers.open").gauges().size(), "a duplicate name is skipped");
            assertEquals(0, open.value());
            FunctionCounter counter = registry.find("earshot.engine.recognizers.made").functionCounter();
            assertNotNull(counter);
            assertTrue(Double.isNaN(registry.find("earshot.engine.broken").gauge().value()),
                    "a stat that throws reads as NaN and breaks nothing else");

            Session session = runtime.pipeline("p").orElseThrow()
                    .openSession(SessionRequest.of("test:stats", AudioFormat.SPEECH_16K, Pacing.PACED));
            made.incrementAndGet();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (open.value() != 1 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(1, open.value(), "read live: the session's recognizer is open");
            assertEquals(1, counter.count());
            session.end();
            session.closed().toCompletableFuture().get(10, TimeUnit.SECONDS);
            assertEquals(0, open.value());
        } finally {
            runtime.stop();
        }
        assertNull(registry.find("earshot.engine.recognizers.open").gauge(), "the engine's meters go with it");
        assertNull(registry.find("earshot.engine.recognizers.made").functionCounter());
    }

    @Test
    void aStatNameThatIsNotLowerCaseWordsJoinedByDotsIsRefusedWithTheRule() {
        var error = assertThrows(IllegalArgumentException.class, () -> EngineStat.gauge("Recognizers-Kept", "", () -> 0));
        assertTrue(error.getMessage().contains("lower-case words (letters and digits) joined by dots"), error.getMessage());
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
