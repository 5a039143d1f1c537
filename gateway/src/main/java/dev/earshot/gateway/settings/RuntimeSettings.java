package dev.earshot.gateway.settings;

import dev.earshot.gateway.plugin.ComponentKind;

import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * Everything the pipeline runtime needs from configuration, independent of how it was read (Quarkus config in the
 * application, plain objects in tests).
 *
 * @param components    per kind, instance id to its raw settings ({@code earshot.<section>.<id>.<key>})
 * @param decodeThreads threads decoding speech, shared by all sessions with per-session ordering
 * @param hookTimeout   time limit of every plugin and session hook
 * @param drainTimeout  how long stopping waits for sessions to finish before aborting them
 * @param sinkQueue     default bound of each sink's queue
 * @param pluginSettings per plugin name, its own settings ({@code earshot.plugins.<name>.<key>})
 * @param admission     when new live sessions are refused because decoding is at capacity ({@code earshot.admission.*})
 */
public record RuntimeSettings(Path home, Path dataDir, Map<String, PipelineSettings> pipelines,
                              Map<ComponentKind, Map<String, Map<String, String>>> components,
                              Map<String, Map<String, String>> pluginSettings,
                              int decodeThreads, Duration hookTimeout, Duration drainTimeout, int sinkQueue,
                              AdmissionSettings admission) {

    /** With the default admission settings. */
    public RuntimeSettings(Path home, Path dataDir, Map<String, PipelineSettings> pipelines,
                           Map<ComponentKind, Map<String, Map<String, String>>> components,
                           Map<String, Map<String, String>> pluginSettings,
                           int decodeThreads, Duration hookTimeout, Duration drainTimeout, int sinkQueue) {
        this(home, dataDir, pipelines, components, pluginSettings, decodeThreads, hookTimeout, drainTimeout, sinkQueue,
                AdmissionSettings.DEFAULT);
    }

    public RuntimeSettings {
        requireNonNull(home, "home is null");
        requireNonNull(dataDir, "dataDir is null");
        pipelines = Map.copyOf(new LinkedHashMap<>(pipelines));
        EnumMap<ComponentKind, Map<String, Map<String, String>>> copy = new EnumMap<>(ComponentKind.class);
        for (ComponentKind kind : ComponentKind.values()) {
            Map<String, Map<String, String>> instances = new LinkedHashMap<>();
            components.getOrDefault(kind, Map.of()).forEach((id, options) -> instances.put(id, Map.copyOf(options)));
            copy.put(kind, Map.copyOf(instances));
        }
        components = Map.copyOf(copy);
        pluginSettings = Map.copyOf(pluginSettings);
        if (decodeThreads < 1) {
            throw new IllegalArgumentException("decodeThreads must be at least 1: " + decodeThreads);
        }
        requireNonNull(hookTimeout, "hookTimeout is null");
        requireNonNull(drainTimeout, "drainTimeout is null");
        requireNonNull(admission, "admission is null");
    }

    public Map<String, Map<String, String>> instances(ComponentKind kind) {
        return components.get(kind);
    }

    /** These settings with other pipelines and component declarations (pipelines added or removed at run time). */
    public RuntimeSettings with(Map<String, PipelineSettings> pipelines,
                                Map<ComponentKind, Map<String, Map<String, String>>> components) {
        return new RuntimeSettings(home, dataDir, pipelines, components, pluginSettings, decodeThreads, hookTimeout,
                drainTimeout, sinkQueue, admission);
    }
}
