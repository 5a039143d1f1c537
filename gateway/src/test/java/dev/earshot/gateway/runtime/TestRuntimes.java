package dev.earshot.gateway.runtime;

import dev.earshot.gateway.settings.PipelineSettings;
import dev.earshot.gateway.settings.RuntimeSettings;

import dev.earshot.gateway.plugin.ComponentKind;
import dev.earshot.gateway.plugin.PluginRegistry;
import dev.earshot.spi.Plugin;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;

import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/** Builds runtimes for tests from plain maps, without Quarkus. */
public final class TestRuntimes {

    private TestRuntimes() {
    }

    public static RuntimeSettings settings(Path home, Map<String, PipelineSettings> pipelines,
                                    Map<ComponentKind, Map<String, Map<String, String>>> components, int decodeThreads) {
        return settings(home, pipelines, components, decodeThreads, Duration.ofSeconds(2));
    }

    public static RuntimeSettings settings(Path home, Map<String, PipelineSettings> pipelines,
                                    Map<ComponentKind, Map<String, Map<String, String>>> components, int decodeThreads,
                                    Duration hookTimeout) {
        EnumMap<ComponentKind, Map<String, Map<String, String>>> byKind = new EnumMap<>(ComponentKind.class);
        byKind.putAll(components);
        return new RuntimeSettings(home, home.resolve("data"), pipelines, byKind, Map.of(),
                decodeThreads, hookTimeout, Duration.ofSeconds(5), 16);
    }

    public static PipelineSettings pipeline(String name, String engine, List<String> sinks, int frameQueue, int maxSessions) {
        return new PipelineSettings(name, true, java.util.Optional.empty(), engine, sinks, List.of(), frameQueue, maxSessions);
    }

    public static GatewayRuntime start(Vertx vertx, RuntimeSettings settings, Plugin... plugins) {
        GatewayRuntime runtime = new GatewayRuntime(vertx, new SimpleMeterRegistry(), settings, PluginRegistry.of(List.of(plugins)));
        runtime.start();
        return runtime;
    }
}
