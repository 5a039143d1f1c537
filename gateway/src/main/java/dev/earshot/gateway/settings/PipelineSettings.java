package dev.earshot.gateway.settings;

import java.util.List;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * One pipeline as configured ({@code earshot.pipelines.<name>.*}); names refer to component instances or types.
 *
 * @param frameQueue  frames each session may queue in front of its recognizer
 * @param maxSessions sessions open at once in this pipeline; more are refused
 */
public record PipelineSettings(String name, boolean enabled, Optional<String> source, String engine,
                               List<String> sinks, List<String> hooks, int frameQueue, int maxSessions) {
    public PipelineSettings {
        requireNonNull(name, "name is null");
        requireNonNull(source, "source is null");
        requireNonNull(engine, "engine is null");
        sinks = List.copyOf(sinks);
        hooks = List.copyOf(hooks);
    }
}
