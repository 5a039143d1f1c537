package dev.earshot.gateway.pipeline;

import dev.earshot.gateway.plugin.ComponentKind;
import dev.earshot.gateway.plugin.PluginRegistry;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The configuration checked against the installed plugins: every name a pipeline uses resolved to a factory, or
 * every mistake collected into one {@link GatewayConfigException}. Creates nothing.
 */
public record GatewayPlan(Map<String, ComponentSpec> engines, Map<String, ComponentSpec> sinks,
                          Map<String, ComponentSpec> hooks, List<PipelinePlan> pipelines) {

    /** One pipeline with its resolved components. Engines, sinks and hooks are shared instances, named by id. */
    public record PipelinePlan(PipelineSettings settings, Optional<ComponentSpec> source, String engine,
                               List<String> sinks, List<String> hooks) {
        public String name() {
            return settings.name();
        }
    }

    private static final Map<ComponentKind, Set<String>> HOST_KEYS = Map.of(
            ComponentKind.SOURCE, Set.of("type"),
            ComponentKind.ENGINE, Set.of("type"),
            ComponentKind.SINK, Set.of("type", "queue-size", "retries", "retry-delay", "max-retry-delay", "spool-size", "spool-full"),
            ComponentKind.HOOK, Set.of("type"));

    public static GatewayPlan resolve(GatewaySettings settings, PluginRegistry registry) {
        List<String> errors = new ArrayList<>();
        Map<String, ComponentSpec> engines = new LinkedHashMap<>();
        Map<String, ComponentSpec> sinks = new LinkedHashMap<>();
        Map<String, ComponentSpec> hooks = new LinkedHashMap<>();
        List<PipelinePlan> pipelines = new ArrayList<>();
        for (PipelineSettings pipeline : new TreeMap<>(settings.pipelines()).values()) {
            String key = "earshot.pipelines." + pipeline.name();
            if (pipeline.frameQueue() < 1) {
                errors.add(key + ".frame-queue: " + pipeline.frameQueue() + " is not valid; expected at least 1 frame");
            }
            if (pipeline.maxSessions() < 1) {
                errors.add(key + ".max-sessions: " + pipeline.maxSessions() + " is not valid; expected at least 1");
            }
            Optional<ComponentSpec> source = pipeline.source()
                    .map(id -> spec(ComponentKind.SOURCE, id, pipeline, key + ".source", settings, registry, errors));
            ComponentSpec engine = spec(ComponentKind.ENGINE, pipeline.engine(), pipeline, key + ".engine", settings, registry, errors);
            if (engine != null) {
                engines.putIfAbsent(engine.id(), engine);
            }
            for (String sink : pipeline.sinks()) {
                ComponentSpec spec = spec(ComponentKind.SINK, sink, pipeline, key + ".sinks", settings, registry, errors);
                if (spec != null) {
                    sinks.putIfAbsent(spec.id(), spec);
                }
            }
            for (String hook : pipeline.hooks()) {
                ComponentSpec spec = spec(ComponentKind.HOOK, hook, pipeline, key + ".hooks", settings, registry, errors);
                if (spec != null) {
                    hooks.putIfAbsent(spec.id(), spec);
                }
            }
            pipelines.add(new PipelinePlan(pipeline, source.filter(s -> s != null), pipeline.engine(),
                    pipeline.sinks(), pipeline.hooks()));
        }
        if (!errors.isEmpty()) {
            throw new GatewayConfigException(errors);
        }
        return new GatewayPlan(engines, sinks, hooks, pipelines);
    }

    /**
     * Resolves a name used by a pipeline: a declared instance ({@code earshot.<section>.<id>.type}, the type
     * defaulting to the id) or, when nothing is declared under that id, a type used with default options.
     */
    private static ComponentSpec spec(ComponentKind kind, String id, PipelineSettings pipeline, String key,
                                      GatewaySettings settings, PluginRegistry registry, List<String> errors) {
        Map<String, String> declared = settings.instances(kind).get(id);
        String type = declared == null ? id : declared.getOrDefault("type", id).trim();
        var provided = registry.factory(kind, type);
        if (provided.isEmpty()) {
            if (declared != null && declared.containsKey("type")) {
                errors.add(kind.prefix(id) + ".type: unknown " + kind.singular() + " type '" + type
                        + "' (used by pipeline '" + pipeline.name() + "'; available: " + registry.available(kind) + ")");
            } else {
                errors.add("pipeline '" + pipeline.name() + "': unknown " + kind.singular() + " '" + id + "' (" + key
                        + "; available: " + registry.available(kind) + "; or declare " + kind.prefix(id) + ".type)");
            }
            return null;
        }
        Map<String, String> pluginOptions = new TreeMap<>();
        Map<String, String> hostOptions = new TreeMap<>();
        (declared == null ? Map.<String, String>of() : declared).forEach((k, v) -> {
            if (HOST_KEYS.get(kind).contains(k)) {
                hostOptions.put(k, v);
            } else {
                pluginOptions.put(k, v);
            }
        });
        return new ComponentSpec(kind, id, type, provided.get().factory(), provided.get().plugin(), pluginOptions, hostOptions);
    }
}
