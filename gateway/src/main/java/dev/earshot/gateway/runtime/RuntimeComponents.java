package dev.earshot.gateway.runtime;

import dev.earshot.gateway.delivery.FinalSpool;
import dev.earshot.gateway.delivery.SinkChannel;
import dev.earshot.gateway.pipeline.Pipeline;
import dev.earshot.gateway.plugin.HostPluginContext;
import dev.earshot.gateway.plugin.LoadedPlugin;
import dev.earshot.gateway.plugin.PluginCalls;
import dev.earshot.gateway.plugin.PluginLifecycle;
import dev.earshot.gateway.session.EngineInstance;
import dev.earshot.gateway.settings.ComponentSpec;
import dev.earshot.gateway.settings.GatewayConfigException;
import dev.earshot.gateway.settings.RuntimePlan;
import dev.earshot.gateway.settings.RuntimeSettings;
import dev.earshot.spi.PluginConfig;
import dev.earshot.spi.PluginException;
import dev.earshot.spi.engine.SpeechEngine;
import dev.earshot.spi.engine.SpeechEngineFactory;
import dev.earshot.spi.hook.SessionHook;
import dev.earshot.spi.hook.SessionHookFactory;
import dev.earshot.spi.sink.TranscriptSink;
import dev.earshot.spi.sink.TranscriptSinkFactory;
import dev.earshot.spi.source.CaptureSource;
import dev.earshot.spi.source.CaptureSourceFactory;
import io.micrometer.core.instrument.MeterRegistry;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

import static java.util.Objects.requireNonNull;

/**
 * The components the runtime created from plugins' factories: engines, sinks (with their host channel) and hooks,
 * shared by id between pipelines, and the capture sources created anew each time a pipeline starts. Changed under the
 * runtime's lock (start-up, pipeline start, plugin install/uninstall); read from anywhere.
 */
final class RuntimeComponents {

    private static final System.Logger LOG = System.getLogger(RuntimeComponents.class.getName());

    /** Default bound of each sink's on-disk spool ({@code earshot.sinks.<id>.spool-size}). */
    static final long DEFAULT_SPOOL_SIZE = 64L * 1024 * 1024;

    private final RuntimeSettings settings;
    private final MeterRegistry registry;
    private final PluginLifecycle lifecycle;
    private final Supplier<PluginCalls> calls;
    private final Map<String, EngineInstance> engines = new ConcurrentHashMap<>();
    private final Map<String, SinkChannel> sinks = new ConcurrentHashMap<>();
    private final Map<String, ComponentSpec> sinkSpecs = new ConcurrentHashMap<>();
    private final Map<String, Pipeline.Hook> hooks = new ConcurrentHashMap<>();

    RuntimeComponents(RuntimeSettings settings, MeterRegistry registry, PluginLifecycle lifecycle,
                      Supplier<PluginCalls> calls) {
        this.settings = requireNonNull(settings, "settings is null");
        this.registry = requireNonNull(registry, "registry is null");
        this.lifecycle = requireNonNull(lifecycle, "lifecycle is null");
        this.calls = requireNonNull(calls, "calls is null");
    }

    Collection<EngineInstance> engines() {
        return engines.values();
    }

    Collection<SinkChannel> sinks() {
        return sinks.values();
    }

    @FunctionalInterface
    private interface Creation {
        AutoCloseable create(HostPluginContext context) throws Exception;
    }

    /**
     * Creates one component. When its factory declares its options, the settings are checked against them first
     * (types, required options, unknown keys) and nothing is created on a problem; when it declares none, the options
     * it did not read are rejected afterwards (most likely misspelled).
     */
    private void create(ComponentSpec spec, List<String> problems, Creation creation) {
        PluginConfig config = new PluginConfig(spec.prefix(), spec.pluginOptions(),
                spec.plugin().options(spec.kind(), spec.type()));
        List<String> declared = config.problems();
        if (!declared.isEmpty()) {
            problems.addAll(declared);
            return;
        }
        HostPluginContext context = new HostPluginContext("dev.earshot.plugin." + spec.plugin().name() + "." + spec.id(),
                spec.id(), config, settings.home(), settings.dataDir().resolve(spec.kind().section()).resolve(spec.id()),
                lifecycle.hostServices(spec.plugin()));
        try {
            AutoCloseable created = creation.create(context);
            if (config.options().isEmpty()) {
                for (String key : config.unreadKeys()) {
                    problems.add(config.key(key) + ": unknown option for " + spec.describe()
                            + " from plugin '" + spec.plugin().name() + "'; check its spelling");
                }
            }
            if (created == null) {
                problems.add(spec.prefix() + ": plugin '" + spec.plugin().name() + "' created nothing for " + spec.describe());
            }
        } catch (PluginException | GatewayConfigException e) {
            problems.add(e.getMessage());
        } catch (Exception e) {
            problems.add(spec.prefix() + ": cannot create " + spec.describe() + ": " + PluginCalls.describe(e));
            LOG.log(System.Logger.Level.DEBUG, "creating " + spec.describe() + " failed", e);
        }
    }

    /**
     * Components created for one pipeline and not shared yet: {@link #commit committed} when every one of them was
     * created, otherwise {@link #discard discarded} (closed), so that a pipeline that cannot be built leaves nothing.
     */
    static final class Staged {
        private final Map<String, EngineInstance> engines = new LinkedHashMap<>();
        private final Map<String, SinkChannel> sinks = new LinkedHashMap<>();
        private final Map<String, ComponentSpec> sinkSpecs = new LinkedHashMap<>();
        private final Map<String, Pipeline.Hook> hooks = new LinkedHashMap<>();
    }

    /**
     * Creates what the pipeline's plan needs and is not created yet (engines, sinks and hooks are shared by id), then
     * binds them to the pipeline. Problems are added to the list; the pipeline stays unbound then and whatever was
     * created for it is closed again. Under the lock.
     */
    void bind(Pipeline pipeline, RuntimePlan.PipelinePlan plan, List<String> problems) {
        Staged staged = stage(plan, problems);
        if (staged != null) {
            commit(staged);
            bindCreated(pipeline, plan);
        }
    }

    /** Binds a pipeline to components that all exist (created or committed). Under the lock. */
    void bindCreated(Pipeline pipeline, RuntimePlan.PipelinePlan plan) {
        pipeline.bind(plan, engines.get(plan.engine()), plan.sinks().stream().map(sinks::get).toList(),
                plan.hooks().stream().map(hooks::get).toList());
    }

    /**
     * Creates, without sharing them yet, the components of a plan that do not exist. Returns null after adding the
     * problems to the list, having closed what it created. Under the lock.
     */
    Staged stage(RuntimePlan.PipelinePlan plan, List<String> problems) {
        int before = problems.size();
        Staged staged = new Staged();
        ComponentSpec engineSpec = plan.engineSpec();
        if (!engines.containsKey(engineSpec.id())) {
            create(engineSpec, problems, context -> {
                SpeechEngine engine = ((SpeechEngineFactory) engineSpec.factory()).create(context);
                if (engine != null) {
                    staged.engines.put(engineSpec.id(), new EngineInstance(engineSpec, engine));
                }
                return engine;
            });
        }
        for (ComponentSpec spec : plan.sinkSpecs()) {
            if (sinks.containsKey(spec.id()) || staged.sinks.containsKey(spec.id())) {
                continue;
            }
            create(spec, problems, context -> {
                TranscriptSink sink = ((TranscriptSinkFactory) spec.factory()).create(context);
                if (sink != null) {
                    try {
                        staged.sinks.put(spec.id(), newSinkChannel(spec, sink));
                        staged.sinkSpecs.put(spec.id(), spec);
                    } catch (RuntimeException e) {
                        sink.close();
                        throw e;
                    }
                }
                return sink;
            });
        }
        for (ComponentSpec spec : plan.hookSpecs()) {
            if (hooks.containsKey(spec.id()) || staged.hooks.containsKey(spec.id())) {
                continue;
            }
            create(spec, problems, context -> {
                SessionHook hook = ((SessionHookFactory) spec.factory()).create(context);
                if (hook != null) {
                    staged.hooks.put(spec.id(), new Pipeline.Hook(spec.id(), hook, spec.plugin()));
                }
                return hook;
            });
        }
        if (problems.size() > before) {
            discard(staged);
            return null;
        }
        return staged;
    }

    /** Shares staged components: from now on pipelines bind to them by id. Under the lock. */
    void commit(Staged staged) {
        engines.putAll(staged.engines);
        staged.engines.values().forEach(engine -> engine.registerStats(registry));
        sinks.putAll(staged.sinks);
        sinkSpecs.putAll(staged.sinkSpecs);
        hooks.putAll(staged.hooks);
    }

    /** Closes staged components that will not be used. */
    void discard(Staged staged) {
        for (SinkChannel channel : staged.sinks.values()) {
            closeSink(channel, Duration.ZERO);
        }
        staged.hooks.values().forEach(this::closeHook);
        staged.engines.values().forEach(EngineInstance::close);
    }

    /**
     * Closes the components of a removed pipeline's plan that no remaining pipeline is bound to (they are created
     * again by the next pipeline that needs them). Under the lock.
     *
     * @return the ids closed, for the log
     */
    List<String> closeUnused(RuntimePlan.PipelinePlan removed, Collection<Pipeline> remaining) {
        List<RuntimePlan.PipelinePlan> plans = remaining.stream().map(Pipeline::plan).filter(java.util.Objects::nonNull).toList();
        List<String> closed = new ArrayList<>();
        if (plans.stream().noneMatch(p -> p.engine().equals(removed.engine()))) {
            EngineInstance engine = engines.remove(removed.engine());
            if (engine != null) {
                engine.close();
                closed.add("engine " + removed.engine());
            }
        }
        for (String id : removed.sinks()) {
            if (plans.stream().noneMatch(p -> p.sinks().contains(id))) {
                sinkSpecs.remove(id);
                SinkChannel channel = sinks.remove(id);
                if (channel != null) {
                    closeSink(channel, settings.drainTimeout());
                    closed.add("sink " + id);
                }
            }
        }
        for (String id : removed.hooks()) {
            if (plans.stream().noneMatch(p -> p.hooks().contains(id))) {
                Pipeline.Hook hook = hooks.remove(id);
                if (hook != null) {
                    closeHook(hook);
                    closed.add("hook " + id);
                }
            }
        }
        return closed;
    }

    /** Whether a component instance of this kind and id exists (created and shared). */
    boolean exists(dev.earshot.gateway.plugin.ComponentKind kind, String id) {
        return switch (kind) {
            case ENGINE -> engines.containsKey(id);
            case SINK -> sinks.containsKey(id);
            case HOOK -> hooks.containsKey(id);
            case SOURCE -> false;
        };
    }

    private void closeSink(SinkChannel channel, Duration drain) {
        channel.close(drain);
        registry.getMeters().stream().filter(m -> channel.id().equals(m.getId().getTag("sink"))).forEach(registry::remove);
    }

    private void closeHook(Pipeline.Hook hook) {
        try {
            calls.get().call("plugin '" + hook.plugin().name() + "' hook '" + hook.id() + "' close", () -> {
                hook.hook().close();
                return null;
            });
        } catch (PluginCalls.HookFailedException e) {
            LOG.log(System.Logger.Level.WARNING, e.getMessage());
        }
    }

    /** Creates a pipeline's capture source (a new instance each time the pipeline starts). */
    CaptureSource createSource(ComponentSpec spec) {
        List<String> problems = new ArrayList<>();
        AtomicReference<CaptureSource> source = new AtomicReference<>();
        create(spec, problems, context -> {
            source.set(((CaptureSourceFactory) spec.factory()).create(context));
            return source.get();
        });
        if (!problems.isEmpty()) {
            if (source.get() != null) {
                source.get().close();
            }
            throw new GatewayConfigException(problems);
        }
        return source.get();
    }

    /** The host's part of a sink: its queue, spool and delivery thread, from the host keys under its prefix. */
    private SinkChannel newSinkChannel(ComponentSpec spec, TranscriptSink sink) {
        PluginConfig host = new PluginConfig(spec.prefix(), spec.hostOptions());
        int capacity = host.getInt("queue-size", settings.sinkQueue(), 1, 1_000_000);
        int retries = host.getInt("retries", 3, 0, 100);
        Duration retryDelay = host.getDuration("retry-delay", Duration.ofMillis(200));
        Duration maxRetryDelay = host.getDuration("max-retry-delay", Duration.ofSeconds(30));
        if (retryDelay.toMillis() < 1 || maxRetryDelay.compareTo(retryDelay) < 0) {
            throw new GatewayConfigException(List.of(host.key("max-retry-delay") + ": " + maxRetryDelay.toMillis()
                    + " ms must be at least " + host.key("retry-delay") + " (" + retryDelay.toMillis()
                    + " ms), and that at least 1 ms"));
        }
        long spoolSize = host.getBytes("spool-size", DEFAULT_SPOOL_SIZE);
        if (spoolSize < 64 * 1024) {
            throw host.invalid("spool-size", host.get("spool-size").orElse(""), "at least 64K");
        }
        String policy = host.getChoice("spool-full", "refuse", java.util.Set.of("refuse", "drop-oldest"));
        FinalSpool.Settings spool = new FinalSpool.Settings(settings.dataDir().resolve("spool").resolve(spec.id()),
                spoolSize, policy.equals("refuse") ? FinalSpool.FullPolicy.REFUSE : FinalSpool.FullPolicy.DROP_OLDEST);
        try {
            return new SinkChannel(spec.id(), sink, new SinkChannel.Settings(capacity, retries, retryDelay, maxRetryDelay),
                    spool, registry);
        } catch (java.io.UncheckedIOException e) {
            throw new GatewayConfigException(List.of(e.getMessage() + " (earshot.data-dir must be a writable folder)"));
        }
    }

    /**
     * Closes the components a plugin that is being uninstalled created: its engines, its sinks (draining their queues
     * within {@code earshot.runtime.drain-timeout}, and removing their meters) and its hooks. The pipelines using them
     * must be unbound first. Under the lock.
     */
    void closeOf(LoadedPlugin plugin) {
        for (EngineInstance engine : List.copyOf(engines.values())) {
            if (engine.spec().plugin() == plugin) {
                engines.remove(engine.id());
                engine.close();
            }
        }
        for (ComponentSpec spec : List.copyOf(sinkSpecs.values())) {
            if (spec.plugin() == plugin) {
                sinkSpecs.remove(spec.id());
                SinkChannel channel = sinks.remove(spec.id());
                if (channel != null) {
                    closeSink(channel, settings.drainTimeout());
                }
            }
        }
        for (Pipeline.Hook hook : List.copyOf(hooks.values())) {
            if (hook.plugin() == plugin) {
                hooks.remove(hook.id());
                closeHook(hook);
            }
        }
    }

    /**
     * Closes every component when the runtime stops: sinks deliver what is queued until {@code deadline}
     * ({@link System#nanoTime()}) and their meters go, then hooks and engines are closed (engines take their stats).
     */
    void closeAll(long deadline) {
        for (SinkChannel sink : sinks.values()) {
            closeSink(sink, Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
        }
        for (Pipeline.Hook hook : hooks.values()) {
            try {
                hook.hook().close();
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "hook '" + hook.id() + "': close failed", e);
            }
        }
        engines.values().forEach(EngineInstance::close);
    }
}
