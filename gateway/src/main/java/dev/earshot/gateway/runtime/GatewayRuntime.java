package dev.earshot.gateway.runtime;

import dev.earshot.gateway.delivery.FinalSpool;
import dev.earshot.gateway.delivery.SinkChannel;
import dev.earshot.gateway.delivery.TranscriptBus;
import dev.earshot.gateway.pipeline.Pipeline;
import dev.earshot.gateway.pipeline.PipelineHost;
import dev.earshot.gateway.plugin.PluginCalls;
import dev.earshot.gateway.plugin.PluginFailedException;
import dev.earshot.gateway.session.DecodeScheduler;
import dev.earshot.gateway.session.EngineInstance;
import dev.earshot.gateway.session.Session;
import dev.earshot.gateway.settings.ComponentSpec;
import dev.earshot.gateway.settings.GatewayConfigException;
import dev.earshot.gateway.settings.PipelineSettings;
import dev.earshot.gateway.settings.RuntimePlan;
import dev.earshot.gateway.settings.RuntimeSettings;

import dev.earshot.gateway.speech.SpeechGates;
import dev.earshot.gateway.plugin.ComponentKind;
import dev.earshot.gateway.plugin.HostPluginContext;
import dev.earshot.gateway.plugin.LoadedPlugin;
import dev.earshot.gateway.plugin.PluginInstallException;
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
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static java.util.Objects.requireNonNull;

/**
 * The running gateway, independent of Quarkus: plugins started, engines and sinks created once and shared, pipelines
 * started. {@link #start()} builds everything or fails with a message naming the key to fix; {@link #stop()} takes it
 * all down again, releasing every thread and native handle, so that a new runtime can start right after.
 */
public final class GatewayRuntime implements PipelineHost, AutoCloseable {

    public enum State { NEW, STARTING, RUNNING, STOPPING, STOPPED, FAILED }

    private static final System.Logger LOG = System.getLogger(GatewayRuntime.class.getName());
    private static final int MAX_HOOK_THREADS = 8;

    private final Vertx vertx;
    private final MeterRegistry registry;
    private final RuntimeSettings settings;
    private final SpeechGates speechGates;
    private final PluginRegistry plugins;
    private final TranscriptBus bus = new TranscriptBus();
    private final AtomicReference<State> state = new AtomicReference<>(State.NEW);
    private final String idPrefix = UUID.randomUUID().toString().substring(0, 8);
    private final AtomicLong sessionCounter = new AtomicLong();

    private PluginCalls hookRunner;
    private DecodeScheduler scheduler;
    // Created components, shared by id between pipelines. Changed under the runtime's lock (start-up, pipeline start,
    // plugin install/uninstall); read from anywhere.
    private final Map<String, EngineInstance> engines = new ConcurrentHashMap<>();
    private final Map<String, SinkChannel> sinks = new ConcurrentHashMap<>();
    private final Map<String, ComponentSpec> sinkSpecs = new ConcurrentHashMap<>();
    private final Map<String, Pipeline.Hook> hooks = new ConcurrentHashMap<>();
    private final Map<String, Pipeline> pipelines = new LinkedHashMap<>();
    private final List<LoadedPlugin> startedPlugins = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile String failure;

    public GatewayRuntime(Vertx vertx, MeterRegistry registry, RuntimeSettings settings, PluginRegistry plugins) {
        this.vertx = requireNonNull(vertx, "vertx is null");
        this.registry = requireNonNull(registry, "registry is null");
        this.settings = requireNonNull(settings, "settings is null");
        this.speechGates = new SpeechGates(this.settings.home());
        this.plugins = requireNonNull(plugins, "plugins is null");
    }

    public State state() {
        return state.get();
    }

    public String failure() {
        return failure;
    }

    public RuntimeSettings settings() {
        return settings;
    }

    public PluginRegistry plugins() {
        return plugins;
    }

    @Override
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

    @Override
    public SpeechGates speechGates() {
        return speechGates;
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

    @Override
    public PluginCalls hooks() {
        return hookRunner;
    }

    @Override
    public DecodeScheduler scheduler() {
        return scheduler;
    }

    @Override
    public String newSessionId() {
        return idPrefix + "-" + sessionCounter.incrementAndGet();
    }

    /** An event loop for a session opened off the event loops (e.g. by a capture thread). */
    @Override
    public Context nextContext() {
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
            hookRunner = new PluginCalls(MAX_HOOK_THREADS, settings.hookTimeout());
            int maxSessions = settings.pipelines().values().stream().mapToInt(PipelineSettings::maxSessions).sum();
            scheduler = new DecodeScheduler(settings.decodeThreads(), Math.max(64, maxSessions + 64));
            RuntimePlan plan = RuntimePlan.resolve(settings, plugins);
            synchronized (this) {
                for (PipelineSettings pipeline : new java.util.TreeMap<>(settings.pipelines()).values()) {
                    pipelines.put(pipeline.name(), new Pipeline(pipeline, this, registry));
                }
                plugins.plugins().forEach(this::startPlugin);
                List<String> problems = new ArrayList<>();
                for (RuntimePlan.PipelinePlan pipelinePlan : plan.pipelines()) {
                    Pipeline pipeline = pipelines.get(pipelinePlan.name());
                    String pluginFailure = pluginFailure(pipelinePlan);
                    if (pluginFailure != null) {
                        // Isolation: only the pipelines using a failed plugin fail; the gateway starts without them.
                        pipeline.failed(pluginFailure);
                        continue;
                    }
                    bind(pipeline, pipelinePlan, problems);
                }
                if (!problems.isEmpty()) {
                    throw new GatewayConfigException(problems);
                }
            }
            for (Pipeline pipeline : pipelines.values()) {
                if (pipeline.settings().enabled() && pipeline.plan() != null) {
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
                hostServices(spec.plugin()));
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
            problems.add(spec.prefix() + ": cannot create " + spec.describe() + ": " + PluginCalls.describe(e));
            LOG.log(System.Logger.Level.DEBUG, "creating " + spec.describe() + " failed", e);
        }
    }

    /**
     * What the host shares with plugins through {@link dev.earshot.spi.PluginContext#hostService}: the gateway's
     * Vert.x for built-in plugins. Installed plugins get nothing: their class loader does not see the gateway's
     * Vert.x classes, and a plugin that could register handlers on the gateway's event loops would keep its class
     * loader alive after it is uninstalled.
     */
    private Map<Class<?>, Object> hostServices(LoadedPlugin plugin) {
        return plugin.installed() ? Map.of() : Map.of(Vertx.class, vertx);
    }

    /** Why a pipeline cannot use its plugins (one failed in its start or stop hook), or null. */
    private static String pluginFailure(RuntimePlan.PipelinePlan plan) {
        for (ComponentSpec component : plan.components()) {
            LoadedPlugin plugin = component.plugin();
            if (plugin.state() == LoadedPlugin.State.FAILED) {
                return "cannot use plugin '" + plugin.name() + "' (for " + component.describe() + "): " + plugin.failure();
            }
        }
        return null;
    }

    /**
     * Creates what the pipeline's plan needs and is not created yet (engines, sinks and hooks are shared by id), then
     * binds them to the pipeline. Problems are added to the list; the pipeline stays unbound then. Under the lock.
     */
    private void bind(Pipeline pipeline, RuntimePlan.PipelinePlan plan, List<String> problems) {
        int before = problems.size();
        ComponentSpec engineSpec = plan.engineSpec();
        if (!engines.containsKey(engineSpec.id())) {
            create(engineSpec, problems, context -> {
                SpeechEngine engine = ((SpeechEngineFactory) engineSpec.factory()).create(context);
                if (engine != null) {
                    engines.put(engineSpec.id(), new EngineInstance(engineSpec, engine));
                }
                return engine;
            });
        }
        for (ComponentSpec spec : plan.sinkSpecs()) {
            if (sinks.containsKey(spec.id())) {
                continue;
            }
            create(spec, problems, context -> {
                TranscriptSink sink = ((TranscriptSinkFactory) spec.factory()).create(context);
                if (sink != null) {
                    try {
                        sinks.put(spec.id(), newSinkChannel(spec, sink));
                        sinkSpecs.put(spec.id(), spec);
                    } catch (RuntimeException e) {
                        sink.close();
                        throw e;
                    }
                }
                return sink;
            });
        }
        for (ComponentSpec spec : plan.hookSpecs()) {
            if (hooks.containsKey(spec.id())) {
                continue;
            }
            create(spec, problems, context -> {
                SessionHook hook = ((SessionHookFactory) spec.factory()).create(context);
                if (hook != null) {
                    hooks.put(spec.id(), new Pipeline.Hook(spec.id(), hook, spec.plugin()));
                }
                return hook;
            });
        }
        if (problems.size() == before) {
            pipeline.bind(plan, engines.get(plan.engine()), plan.sinks().stream().map(sinks::get).toList(),
                    plan.hooks().stream().map(hooks::get).toList());
        }
    }

    /**
     * Readies a pipeline that is starting: resolves and creates its components if it has none yet (a disabled
     * pipeline, or one whose plugin was reinstalled), against the plugins installed now.
     *
     * @throws GatewayConfigException when a type is not installed or a component cannot be created
     * @throws PluginFailedException  when a plugin it uses failed in its start hook
     */
    @Override
    public synchronized void prepare(Pipeline pipeline) {
        RuntimePlan.PipelinePlan plan = pipeline.plan();
        if (plan == null) {
            try {
                plan = RuntimePlan.resolvePipeline(pipeline.settings(), settings, plugins);
            } catch (GatewayConfigException e) {
                List<String> problems = new ArrayList<>(e.problems());
                problems.add("installed plugins: " + plugins.installed()
                        + "; install one that provides it with POST /api/plugins, then start the pipeline again");
                throw new GatewayConfigException(problems);
            }
        }
        String pluginFailure = pluginFailure(plan);
        if (pluginFailure != null) {
            throw new PluginFailedException(pluginFailure);
        }
        if (pipeline.plan() == null) {
            List<String> problems = new ArrayList<>();
            bind(pipeline, plan, problems);
            if (!problems.isEmpty()) {
                throw new GatewayConfigException(problems);
            }
        }
    }

    /**
     * Adds an installed plugin and runs its start hook. A start hook that fails leaves the plugin installed and
     * {@code failed} (shown by {@code /api/plugins}); pipelines that use it then refuse to start.
     *
     * @throws PluginInstallException when its name or one of its types is taken
     */
    public synchronized LoadedPlugin install(LoadedPlugin plugin) throws PluginInstallException {
        if (state.get() != State.RUNNING) {
            throw new PluginInstallException(PluginInstallException.Reason.CONFLICT, "the gateway is " + state.get().name().toLowerCase());
        }
        plugins.add(plugin);
        startPlugin(plugin);
        LOG.log(System.Logger.Level.INFO, "plugin '" + plugin.name() + "' " + plugin.version() + " installed from "
                + plugin.location() + (plugin.failure() == null ? "" : "; " + plugin.failure()));
        return plugin;
    }

    /**
     * Removes an installed plugin: refused while a pipeline that uses it runs (or has sessions). Otherwise the
     * pipelines using it lose their components (they resolve them again when started), the components it created are
     * closed, and its stop hook runs. The caller then closes its class loader.
     *
     * @return the removed plugin
     */
    public synchronized LoadedPlugin uninstall(String name) throws PluginInstallException {
        LoadedPlugin plugin = plugins.plugin(name).orElseThrow(() -> new PluginInstallException(
                PluginInstallException.Reason.NOT_FOUND, "no plugin '" + name + "' (installed: " + plugins.installed() + ")"));
        if (!plugin.installed()) {
            throw new PluginInstallException(PluginInstallException.Reason.CONFLICT, "plugin '" + name
                    + "' is built into the gateway and cannot be uninstalled");
        }
        List<Pipeline> using = pipelines.values().stream().filter(p -> p.uses(plugin)).toList();
        List<String> busy = using.stream().filter(p -> p.sessionCount() > 0 || p.state() == Pipeline.State.RUNNING
                || p.state() == Pipeline.State.STARTING || p.state() == Pipeline.State.STOPPING).map(Pipeline::name).sorted().toList();
        if (!busy.isEmpty()) {
            throw new PluginInstallException(PluginInstallException.Reason.IN_USE, "plugin '" + name
                    + "' is used by running pipeline(s) " + String.join(", ", busy)
                    + "; stop them first (POST /api/pipelines/<name>/stop)");
        }
        using.forEach(Pipeline::unbind);
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
                    channel.close(settings.drainTimeout());
                    registry.getMeters().stream().filter(m -> spec.id().equals(m.getId().getTag("sink")))
                            .forEach(registry::remove);
                }
            }
        }
        for (Pipeline.Hook hook : List.copyOf(hooks.values())) {
            if (hook.plugin() == plugin) {
                hooks.remove(hook.id());
                try {
                    hookRunner.call("plugin '" + name + "' hook '" + hook.id() + "' close", () -> {
                        hook.hook().close();
                        return null;
                    });
                } catch (PluginCalls.HookFailedException e) {
                    LOG.log(System.Logger.Level.WARNING, e.getMessage());
                }
            }
        }
        if (startedPlugins.remove(plugin)) {
            stopPlugin(plugin);
        }
        plugins.remove(name);
        LOG.log(System.Logger.Level.INFO, "plugin '" + name + "' uninstalled" + (using.isEmpty() ? ""
                : "; pipeline(s) " + using.stream().map(Pipeline::name).sorted().toList() + " need it again to start"));
        return plugin;
    }

    /** Creates a pipeline's capture source (a new instance each time the pipeline starts). */
    @Override
    public CaptureSource createSource(ComponentSpec spec) {
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

    /** Runs a plugin's start hook under the time limit; a failure marks the plugin failed and is logged. */
    private void startPlugin(LoadedPlugin plugin) {
        Map<String, String> options = settings.pluginSettings().getOrDefault(plugin.name(), Map.of());
        PluginConfig config = new PluginConfig("earshot.plugins." + plugin.name(), options);
        HostPluginContext context = new HostPluginContext("dev.earshot.plugin." + plugin.name(), plugin.name(),
                config, settings.home(), settings.dataDir().resolve("plugins").resolve(plugin.name()), hostServices(plugin));
        try {
            hookRunner.call("plugin '" + plugin.name() + "' hook start", () -> {
                plugin.plugin().start(context);
                return null;
            });
            plugin.markStarted();
            startedPlugins.add(plugin);
        } catch (PluginCalls.HookFailedException e) {
            plugin.markFailed(e.getMessage());
            LOG.log(System.Logger.Level.ERROR, e.getMessage() + "; pipelines using plugin '" + plugin.name() + "' fail");
        }
    }

    /** Runs a plugin's stop hook under the time limit; a failure is logged and shown on the plugin. */
    private void stopPlugin(LoadedPlugin plugin) {
        try {
            hookRunner.call("plugin '" + plugin.name() + "' hook stop", () -> {
                plugin.plugin().stop();
                return null;
            });
            plugin.markStopped();
        } catch (PluginCalls.HookFailedException e) {
            plugin.markFailed(e.getMessage());
            LOG.log(System.Logger.Level.ERROR, e.getMessage());
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
        for (Pipeline.Hook hook : hooks.values()) {
            try {
                hook.hook().close();
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "hook '" + hook.id() + "': close failed", e);
            }
        }
        engines.values().forEach(EngineInstance::close);
        speechGates.close();
        for (LoadedPlugin plugin : startedPlugins) {
            stopPlugin(plugin);
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
