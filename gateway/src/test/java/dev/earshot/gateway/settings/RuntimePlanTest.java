package dev.earshot.gateway.settings;

import dev.earshot.gateway.plugin.FakePlugin;
import dev.earshot.gateway.runtime.GatewayRuntime;
import dev.earshot.gateway.runtime.TestRuntimes;

import dev.earshot.gateway.plugin.ComponentKind;
import dev.earshot.gateway.plugin.PluginRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bad configuration fails start-up with messages naming the pipeline, the key and what is available. */
class RuntimePlanTest {

    @TempDir
    Path home;

    private final PluginRegistry registry = PluginRegistry.of(List.of(new FakePlugin()));

    private GatewayConfigException resolveFails(Map<String, PipelineSettings> pipelines,
                                                Map<ComponentKind, Map<String, Map<String, String>>> components) {
        return assertThrows(GatewayConfigException.class,
                () -> RuntimePlan.resolve(TestRuntimes.settings(home, pipelines, components, 1), registry));
    }

    @Test
    void unknownEngineNamesThePipelineTheKeyAndTheAvailableTypes() {
        var error = resolveFails(Map.of("kitchen", TestRuntimes.pipeline("kitchen", "vosky", List.of("memory"), 8, 4)), Map.of());
        assertEquals(List.of("pipeline 'kitchen': unknown engine 'vosky' (earshot.pipelines.kitchen.engine; available: counting;"
                + " or declare earshot.engines.vosky.type)"), error.problems());
    }

    @Test
    void unknownSinkAndSourceAreAllReportedAtOnce() {
        var pipeline = new PipelineSettings("hall", true, java.util.Optional.of("mic"), "counting", List.of("memory", "mqt"),
                List.of(), 8, 4);
        var error = resolveFails(Map.of("hall", pipeline), Map.of());
        assertEquals(2, error.problems().size(), error.getMessage());
        assertTrue(error.getMessage().contains("pipeline 'hall': unknown source 'mic' (earshot.pipelines.hall.source; available: none installed"), error.getMessage());
        assertTrue(error.getMessage().contains("pipeline 'hall': unknown sink 'mqt' (earshot.pipelines.hall.sinks; available: memory"), error.getMessage());
    }

    @Test
    void declaredInstanceWithUnknownTypeNamesItsTypeKey() {
        var error = resolveFails(Map.of("p", TestRuntimes.pipeline("p", "fast", List.of(), 8, 4)),
                Map.of(ComponentKind.ENGINE, Map.of("fast", Map.of("type", "whisper"))));
        assertEquals(List.of("earshot.engines.fast.type: unknown engine type 'whisper' (used by pipeline 'p'; available: counting)"),
                error.problems());
    }

    @Test
    void invalidLimitsNameTheirKeys() {
        var error = resolveFails(Map.of("p", TestRuntimes.pipeline("p", "counting", List.of(), 0, 0)), Map.of());
        assertTrue(error.getMessage().contains("earshot.pipelines.p.frame-queue: 0 is not valid"), error.getMessage());
        assertTrue(error.getMessage().contains("earshot.pipelines.p.max-sessions: 0 is not valid"), error.getMessage());
    }

    @Test
    void misspelledPluginOptionFailsStartUpAndBadValueNamesTheKey() {
        var settings = TestRuntimes.settings(home, Map.of("p", TestRuntimes.pipeline("p", "fast", List.of(), 8, 4)),
                Map.of(ComponentKind.ENGINE, Map.of("fast", Map.of("type", "counting", "sample-rat", "8000"))), 1);
        Vertx vertx = Vertx.vertx();
        try {
            var runtime = new GatewayRuntime(vertx, new SimpleMeterRegistry(), settings, registry);
            var error = assertThrows(GatewayConfigException.class, runtime::start);
            assertEquals(List.of("earshot.engines.fast.sample-rat: unknown option for engine 'fast' (type counting) from plugin"
                    + " 'fake'; check its spelling"), error.problems());
            assertEquals(GatewayRuntime.State.FAILED, runtime.state());

            var badValue = TestRuntimes.settings(home, Map.of("p", TestRuntimes.pipeline("p", "fast", List.of(), 8, 4)),
                    Map.of(ComponentKind.ENGINE, Map.of("fast", Map.of("type", "counting", "sample-rate", "fast"))), 1);
            var second = new GatewayRuntime(vertx, new SimpleMeterRegistry(), badValue, registry);
            var valueError = assertThrows(GatewayConfigException.class, second::start);
            assertEquals(List.of("earshot.engines.fast.sample-rate: 'fast' is not valid; expected a whole number from 8000 to 48000"),
                    valueError.problems());
        } finally {
            vertx.close();
        }
    }
}
