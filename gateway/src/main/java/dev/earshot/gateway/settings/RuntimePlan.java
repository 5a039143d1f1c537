package dev.earshot.gateway.settings;

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
public record RuntimePlan(Map<String, ComponentSpec> engines, Map<String, ComponentSpec> sinks,
                          Map<String, ComponentSpec> hooks, List<PipelinePlan> pipelines) {

    /** One pipeline with its resolved components. Engines, sinks and hooks are shared instances, named by id. */
    public record PipelinePlan(PipelineSettings settings, Optional<ComponentSpec> source, ComponentSpec engineSpec,
                               List<ComponentSpec> sinkSpecs, List<ComponentSpec> hookSpecs) {
        public String name() {
            return settings.name();
        }

        public String engine() {
            return engineSpec.id();
        }

        public List<String> sinks() {
            return sinkSpecs.stream().map(ComponentSpec::id).toList();
        }

        public List<String> hooks() {
            return hookSpecs.stream().map(ComponentSpec::id).toList();
        }

        /** Every component of the pipeline, the source first. */
        public List<ComponentSpec> components() {
            List<ComponentSpec> all = new ArrayList<>();
            source.ifPresent(all::add);
            all.add(engineSpec);
            all.addAll(sinkSpecs);
            all.addAll(hookSpecs);
            return all;
        }
    }

    private static final Map<ComponentKind, Set<String>> HOST_KEYS = Map.of(
            ComponentKind.SOURCE, Set.of("type"),
            ComponentKind.ENGINE, Set.of("type"),
            ComponentKind.SINK, Set.of("type", "queue-size", "retries", "retry-delay", "max-retry-delay", "spool-size", "spool-full"),
            ComponentKind.HOOK, Set.of("type"));

    /**
     * Resolves the pipelines that start with the gateway ({@code enabled}); the others are resolved when they are
     * started ({@link #resolvePipeline}), against the plugins installed by then.
     */
    public static RuntimePlan resolve(RuntimeSettings settings, PluginRegistry registry) {
        List<String> errors = new ArrayList<>();
        Map<String, ComponentSpec> engines = new LinkedHashMap<>();
        Map<String, ComponentSpec> sinks = new LinkedHashMap<>();
        Map<String, ComponentSpec> hooks = new LinkedHashMap<>();
        List<PipelinePlan> pipelines = new ArrayList<>();
        for (PipelineSettings pipeline : new TreeMap<>(settings.pipelines()).values()) {
            if (!pipeline.enabled()) {
                continue;
            }
            PipelinePlan plan = resolvePipeline(pipeline, settings, registry, errors);
            if (plan != null) {
                engines.putIfAbsent(plan.engine(), plan.engineSpec());
                plan.sinkSpecs().forEach(spec -> sinks.putIfAbsent(spec.id(), spec));
                plan.hookSpecs().forEach(spec -> hooks.putIfAbsent(spec.id(), spec));
                pipelines.add(plan);
            }
        }
        if (!errors.isEmpty()) {
            throw new GatewayConfigException(errors);
        }
        return new RuntimePlan(engines, sinks, hooks, pipelines);
    }

    /** Resolves one pipeline against the plugins installed now, or throws naming every problem. */
    public static PipelinePlan resolvePipeline(PipelineSettings pipeline, RuntimeSettings settings, PluginRegistry registry) {
        List<String> errors = new ArrayList<>();
        PipelinePlan plan = resolvePipeline(pipeline, settings, registry, errors);
        if (!errors.isEmpty()) {
            throw new GatewayConfigException(errors);
        }
        return plan;
    }

    private static PipelinePlan resolvePipeline(PipelineSettings pipeline, RuntimeSettings settings, PluginRegistry registry,
                                                List<String> errors) {
        int before = errors.size();
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
        List<ComponentSpec> sinks = new ArrayList<>();
        for (String sink : pipeline.sinks()) {
            sinks.add(spec(ComponentKind.SINK, sink, pipeline, key + ".sinks", settings, registry, errors));
        }
        List<ComponentSpec> hooks = new ArrayList<>();
        for (String hook : pipeline.hooks()) {
            hooks.add(spec(ComponentKind.HOOK, hook, pipeline, key + ".hooks", settings, registry, errors));
        }
        if (errors.size() > before) {
            return null;
        }
        return new PipelinePlan(pipeline, source, engine, List.copyOf(sinks), List.copyOf(hooks));
    }

    /**
     * Resolves a name used by a pipeline: a declared instance ({@code earshot.<section>.<id>.type}, the type
     * defaulting to the id) or, when nothing is declared under that id, a type used with default options.
     */
    private static ComponentSpec spec(ComponentKind kind, String id, PipelineSettings pipeline, String key,
                                      RuntimeSettings settings, PluginRegistry registry, List<String> errors) {
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
