package dev.earshot.gateway.pipeline;

import dev.earshot.gateway.plugin.ComponentKind;
import dev.earshot.gateway.plugin.HostPluginContext;
import dev.earshot.gateway.plugin.LoadedPlugin;
import dev.earshot.gateway.plugin.PluginRegistry;
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
import io.vertx.core.Context;
import io.vertx.core.Vertx;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static java.util.Objects.requireNonNull;

/**
 * The running gateway, independent of Quarkus: plugins started, engines and sinks created once and shared, pipelines
 * started. {@link #start()} builds everything or fails with a message naming the key to fix; {@link #stop()} takes it
 * all down again, releasing every thread and native handle, so that a new runtime can start right after.
 */
public final class GatewayRuntime implements AutoCloseable {

    public enum State { NEW, STARTING, RUNNING, STOPPING, STOPPED, FAILED }

    private static final System.Logger LOG = System.getLogger(GatewayRuntime.class.getName());
    private static final int MAX_HOOK_THREADS = 8;

    private final Vertx vertx;
    private final MeterRegistry registry;
    private final GatewaySettings settings;
    private final PluginRegistry plugins;
    private final TranscriptBus bus = new TranscriptBus();
    private final AtomicReference<State> state = new AtomicReference<>(State.NEW);
    private final String idPrefix = UUID.randomUUID().toString().substring(0, 8);
    private final AtomicLong sessionCounter = new AtomicLong();

    private HookRunner hookRunner;
    private DecodeScheduler scheduler;
    private final Map<String, EngineInstance> engines = new LinkedHashMap<>();
    private final Map<String, SinkChannel> sinks = new LinkedHashMap<>();
    private final Map<String, SessionHook> hooks = new LinkedHashMap<>();
    private final Map<String, Pipeline> pipelines = new LinkedHashMap<>();
    private final List<LoadedPlugin> startedPlugins = new ArrayList<>();
    private volatile String failure;

    public GatewayRuntime(Vertx vertx, MeterRegistry registry, GatewaySettings settings, PluginRegistry plugins) {
        this.vertx = requireNonNull(vertx, "vertx is null");
        this.registry = requireNonNull(registry, "registry is null");
        this.settings = requireNonNull(settings, "settings is null");
        this.plugins = requireNonNull(plugins, "plugins is null");
    }

    public State state() {
        return state.get();
    }

    public String failure() {
        return failure;
    }

    public GatewaySettings settings() {
        return settings;
    }

    public PluginRegistry plugins() {
        return plugins;
    }

    public TranscriptBus bus() {
        return bus;
    }

    public Collection<Pipeline> pipelines() {
        return pipelines.values();
    }

    public Optional<Pipeline> pipeline(String name) {
        return Optional.ofNullable(pipelines.get(name));
    }

    public Collection<EngineInstance> engines() {
        return engines.values();
    }

    public Collection<SinkChannel> sinks() {
        return sinks.values();
    }

    public Optional<Session> session(String id) {
        for (Pipeline pipeline : pipelines.values()) {
            Optional<Session> session = pipeline.session(id);
            if (session.isPresent()) {
                return session;
            }
        }
        return Optional.empty();
    }

    HookRunner hooks() {
        return hookRunner;
    }

    DecodeScheduler scheduler() {
        return scheduler;
    }

    String newSessionId() {
        return idPrefix + "-" + sessionCounter.incrementAndGet();
    }

    /** An event loop for a session opened off the event loops (e.g. by a capture thread). */
    Context nextContext() {
        return vertx.getOrCreateContext();
    }

    /**
     * Starts plugins, checks the configuration, creates engines (loading models), sinks and hooks, and starts every
     * enabled pipeline. On failure everything created so far is released and the exception says what to fix.
     */
    public void start() {
        if (!state.compareAndSet(State.NEW, State.STARTING)) {
            throw new IllegalStateException("runtime already " + state.get());
        }
        long begin = System.nanoTime();
        try {
            hookRunner = new HookRunner(MAX_HOOK_THREADS, settings.hookTimeout());
            int maxSessions = settings.pipelines().values().stream().mapToInt(PipelineSettings::maxSessions).sum();
            scheduler = new DecodeScheduler(settings.decodeThreads(), Math.max(64, maxSessions + 64));
            GatewayPlan plan = GatewayPlan.resolve(settings, plugins);
            startPlugins();
            List<String> problems = new ArrayList<>();
            plan.engines().values().forEach(spec -> create(spec, problems, context -> {
                SpeechEngine engine = ((SpeechEngineFactory) spec.factory()).create(context);
                engines.put(spec.id(), new EngineInstance(spec, engine));
                return engine;
            }));
            plan.sinks().values().forEach(spec -> create(spec, problems, context -> {
                TranscriptSink sink = ((TranscriptSinkFactory) spec.factory()).create(context);
                if (sink != null) {
                    try {
                        sinks.put(spec.id(), newSinkChannel(spec, sink));
                    } catch (RuntimeException e) {
                        sink.close();
                        throw e;
                    }
                }
                return sink;
            }));
            plan.hooks().values().forEach(spec -> create(spec, problems, context -> {
                SessionHook hook = ((SessionHookFactory) spec.factory()).create(context);
                hooks.put(spec.id(), hook);
                return hook;
            }));
            if (!problems.isEmpty()) {
                throw new GatewayConfigException(problems);
            }
            for (GatewayPlan.PipelinePlan pipelinePlan : plan.pipelines()) {
                List<SinkChannel> pipelineSinks = pipelinePlan.sinks().stream().map(sinks::get).toList();
                List<Pipeline.Hook> pipelineHooks = pipelinePlan.hooks().stream()
                        .map(id -> new Pipeline.Hook(id, hooks.get(id))).toList();
                pipelines.put(pipelinePlan.name(), new Pipeline(pipelinePlan, this, engines.get(pipelinePlan.engine()),
                        pipelineSinks, pipelineHooks, registry));
            }
            for (Pipeline pipeline : pipelines.values()) {
                if (pipeline.settings().enabled()) {
                    pipeline.start();
                }
            }
            state.set(State.RUNNING);
            LOG.log(System.Logger.Level.INFO, String.format("earshot runtime started in %d ms: %d plugin(s), %d engine(s), %d sink(s), %d pipeline(s), %d decoding thread(s)",
                    (System.nanoTime() - begin) / 1_000_000, plugins.plugins().size(), engines.size(), sinks.size(),
                    pipelines.size(), scheduler.threads()));
        } catch (RuntimeException e) {
            failure = e.getMessage();
            shutdown(Duration.ZERO);
            state.set(State.FAILED);
            throw e;
        }
    }

    @FunctionalInterface
    private interface Creation {
        AutoCloseable create(HostPluginContext context) throws Exception;
    }

    /** Creates one component, then rejects options it did not read (most likely misspelled). */
    private void create(ComponentSpec spec, List<String> problems, Creation creation) {
        PluginConfig config = new PluginConfig(spec.prefix(), spec.pluginOptions());
        HostPluginContext context = new HostPluginContext("dev.earshot.plugin." + spec.plugin().name() + "." + spec.id(),
                spec.id(), config, settings.home(), settings.dataDir().resolve(spec.kind().section()).resolve(spec.id()),
                hostServices());
        try {
            AutoCloseable created = creation.create(context);
            for (String key : config.unreadKeys()) {
                problems.add(config.key(key) + ": unknown option for " + spec.describe()
                        + " from plugin '" + spec.plugin().name() + "'; check its spelling");
            }
            if (created == null) {
                problems.add(spec.prefix() + ": plugin '" + spec.plugin().name() + "' created nothing for " + spec.describe());
            }
        } catch (PluginException | GatewayConfigException e) {
            problems.add(e.getMessage());
        } catch (Exception e) {
            problems.add(spec.prefix() + ": cannot create " + spec.describe() + ": " + HookRunner.describe(e));
            LOG.log(System.Logger.Level.DEBUG, "creating " + spec.describe() + " failed", e);
        }
    }

    /** What the host shares with plugins through {@link dev.earshot.spi.PluginContext#hostService}. */
    private Map<Class<?>, Object> hostServices() {
        return Map.of(Vertx.class, vertx);
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

    /** Default bound of each sink's on-disk spool ({@code earshot.sinks.<id>.spool-size}). */
    static final long DEFAULT_SPOOL_SIZE = 64L * 1024 * 1024;

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

    private void startPlugins() {
        List<String> problems = new ArrayList<>();
        for (LoadedPlugin plugin : plugins.plugins()) {
            Map<String, String> options = settings.pluginSettings().getOrDefault(plugin.name(), Map.of());
            PluginConfig config = new PluginConfig("earshot.plugins." + plugin.name(), options);
            HostPluginContext context = new HostPluginContext("dev.earshot.plugin." + plugin.name(), plugin.name(),
                    config, settings.home(), settings.dataDir().resolve("plugins").resolve(plugin.name()), hostServices());
            try {
                hookRunner.call("plugin '" + plugin.name() + "' start", () -> {
                    plugin.plugin().start(context);
                    return null;
                });
                plugin.markStarted();
                startedPlugins.add(plugin);
            } catch (HookRunner.HookFailedException e) {
                plugin.markFailed(e.getMessage());
                problems.add(e.getMessage());
            }
        }
        if (!problems.isEmpty()) {
            throw new GatewayConfigException(problems);
        }
    }

    /**
     * Stops pipelines (draining sessions: new ones are refused, uploads and files may finish, live sessions end and
     * flush their finals), sinks (draining queues), engines and plugins, within {@code earshot.runtime.drain-timeout}
     * (plus a short wait for aborted sessions and hook threads). Idempotent.
     */
    public void stop() {
        State current = state.get();
        if (current == State.STOPPED || current == State.STOPPING || current == State.NEW) {
            return;
        }
        state.set(State.STOPPING);
        shutdown(settings.drainTimeout());
        state.set(State.STOPPED);
    }

    /**
     * Takes everything down within {@code drain}: pipelines first (see {@link Pipeline#stopAll}; paced sessions may
     * finish), then sinks deliver what is queued in the time left, which is at least a fifth of the budget (at most
     * 2 s of it).
     */
    private void shutdown(Duration drain) {
        long deadline = System.nanoTime() + drain.toNanos();
        Duration sinkReserve = Duration.ofNanos(Math.min(drain.toNanos() / 5, Duration.ofSeconds(2).toNanos()));
        Pipeline.stopAll(List.copyOf(pipelines.values()), drain.minus(sinkReserve), true);
        for (SinkChannel sink : sinks.values()) {
            sink.close(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
        }
        for (Map.Entry<String, SessionHook> hook : hooks.entrySet()) {
            try {
                hook.getValue().close();
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "hook '" + hook.getKey() + "': close failed", e);
            }
        }
        engines.values().forEach(EngineInstance::close);
        for (LoadedPlugin plugin : startedPlugins) {
            try {
                hookRunner.call("plugin '" + plugin.name() + "' stop", () -> {
                    plugin.plugin().stop();
                    return null;
                });
                plugin.markStopped();
            } catch (HookRunner.HookFailedException e) {
                LOG.log(System.Logger.Level.ERROR, e.getMessage());
            }
        }
        startedPlugins.clear();
        if (scheduler != null) {
            scheduler.close();
        }
        if (hookRunner != null) {
            hookRunner.close();
        }
    }

    @Override
    public void close() {
        stop();
    }
}
