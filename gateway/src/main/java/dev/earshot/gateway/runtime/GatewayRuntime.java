package dev.earshot.gateway.runtime;

import dev.earshot.gateway.delivery.SinkChannel;
import dev.earshot.gateway.delivery.TranscriptBus;
import dev.earshot.gateway.pipeline.Pipeline;
import dev.earshot.gateway.pipeline.PipelineHost;
import dev.earshot.gateway.pipeline.PipelineStop;
import dev.earshot.gateway.plugin.PluginCalls;
import dev.earshot.gateway.plugin.PluginFailedException;
import dev.earshot.gateway.session.DecodeAdmission;
import dev.earshot.gateway.session.DecodeScheduler;
import dev.earshot.gateway.session.EngineInstance;
import dev.earshot.gateway.session.Session;
import dev.earshot.gateway.settings.ComponentSpec;
import dev.earshot.gateway.settings.GatewayConfigException;
import dev.earshot.gateway.settings.PipelineSettings;
import dev.earshot.gateway.settings.PipelineSpec;
import dev.earshot.gateway.settings.RuntimePlan;
import dev.earshot.gateway.settings.RuntimeSettings;

import dev.earshot.gateway.speech.SpeechGates;
import dev.earshot.gateway.plugin.LoadedPlugin;
import dev.earshot.gateway.plugin.PluginInstallException;
import dev.earshot.gateway.plugin.PluginLifecycle;
import dev.earshot.gateway.plugin.PluginRegistry;
import dev.earshot.spi.source.CaptureSource;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Vertx;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static java.util.Objects.requireNonNull;

/**
 * The running gateway, independent of Quarkus: plugins started, engines and sinks created once and shared, pipelines
 * started. {@link #start()} builds everything or fails with a message naming the key to fix; {@link #stop()} takes it
 * all down again, releasing every thread and native handle, so that a new runtime can start right after. Plugins'
 * start and stop hooks are run by {@link PluginLifecycle}; the components created from their factories are held by
 * {@link RuntimeComponents}; this class orders the two (start-up, install, uninstall, shutdown).
 */
public final class GatewayRuntime implements PipelineHost, AutoCloseable {

    public enum State { NEW, STARTING, RUNNING, STOPPING, STOPPED, FAILED }

    private static final System.Logger LOG = System.getLogger(GatewayRuntime.class.getName());
    private static final int MAX_HOOK_THREADS = 8;
    /** Sessions the decoding queue holds beyond the configured pipelines' {@code max-sessions}. */
    private static final int SESSION_HEADROOM = 1024;

    private final Vertx vertx;
    private final MeterRegistry registry;
    private volatile RuntimeSettings settings;
    private final SpeechGates speechGates;
    private final PluginRegistry plugins;
    private final TranscriptBus bus = new TranscriptBus();
    private final AtomicReference<State> state = new AtomicReference<>(State.NEW);
    private final String idPrefix = UUID.randomUUID().toString().substring(0, 8);
    private final AtomicLong sessionCounter = new AtomicLong();

    private final PluginLifecycle lifecycle;
    private final RuntimeComponents components;
    private volatile PluginCalls hookRunner;
    private DecodeScheduler scheduler;
    // Sorted by name; pipelines are added and removed at run time (PipelineChanges) while others read the map.
    private final Map<String, Pipeline> pipelines = new ConcurrentSkipListMap<>();
    private final PipelineChanges changes;
    private volatile int sessionCapacity;
    private volatile DecodeAdmission admission;
    private volatile long admissionTimer = -1;
    /** Admission's meters, removed when the runtime stops. */
    private volatile List<Meter> admissionMeters = List.of();
    private volatile String failure;

    public GatewayRuntime(Vertx vertx, MeterRegistry registry, RuntimeSettings settings, PluginRegistry plugins) {
        this.vertx = requireNonNull(vertx, "vertx is null");
        this.registry = requireNonNull(registry, "registry is null");
        this.settings = requireNonNull(settings, "settings is null");
        this.speechGates = new SpeechGates(this.settings.home());
        this.plugins = requireNonNull(plugins, "plugins is null");
        this.lifecycle = new PluginLifecycle(plugins, () -> hookRunner, settings.pluginSettings(), settings.home(),
                settings.dataDir(), Map.of(Vertx.class, vertx));
        this.components = new RuntimeComponents(settings, registry, lifecycle, () -> hookRunner);
        this.changes = new PipelineChanges(this, settings);
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
        return components.engines();
    }

    @Override
    public SpeechGates speechGates() {
        return speechGates;
    }

    public Collection<SinkChannel> sinks() {
        return components.sinks();
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
    public DecodeAdmission admission() {
        return admission;
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
            RuntimePlan plan = RuntimePlan.resolve(settings, plugins);
            List<PipelineSpec> stored = changes.load();
            settings = changes.effective();
            int maxSessions = settings.pipelines().values().stream().mapToInt(PipelineSettings::maxSessions).sum();
            // Room for the sessions of the pipelines added at run time too (PUT /api/pipelines/{name}).
            sessionCapacity = maxSessions + SESSION_HEADROOM;
            scheduler = new DecodeScheduler(settings.decodeThreads(), sessionCapacity);
            startAdmission();
            synchronized (this) {
                for (PipelineSettings pipeline : new java.util.TreeMap<>(changes.configuredPipelines()).values()) {
                    pipelines.put(pipeline.name(), new Pipeline(pipeline, this, registry));
                }
                lifecycle.startAll();
                List<String> problems = new ArrayList<>();
                for (RuntimePlan.PipelinePlan pipelinePlan : plan.pipelines()) {
                    Pipeline pipeline = pipelines.get(pipelinePlan.name());
                    String pluginFailure = pluginFailure(pipelinePlan);
                    if (pluginFailure != null) {
                        // Isolation: only the pipelines using a failed plugin fail; the gateway starts without them.
                        pipeline.failed(pluginFailure);
                        continue;
                    }
                    components.bind(pipeline, pipelinePlan, problems);
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
            changes.addStored(stored);
            LOG.log(System.Logger.Level.INFO, String.format("earshot runtime started in %d ms: %d plugin(s), %d engine(s), %d sink(s), %d pipeline(s), %d decoding thread(s)",
                    (System.nanoTime() - begin) / 1_000_000, plugins.plugins().size(), components.engines().size(),
                    components.sinks().size(),
                    pipelines.size(), scheduler.threads()));
        } catch (RuntimeException e) {
            failure = e.getMessage();
            shutdown(Duration.ZERO);
            state.set(State.FAILED);
            throw e;
        }
    }


    /**
     * Admission by measured decode load: sampled on a Vert.x timer a few times a second (reading counters the decoding
     * tasks publish once per run; nothing per frame), with its figures in {@code /q/metrics}.
     */
    private void startAdmission() {
        DecodeAdmission created = new DecodeAdmission(settings.admission(), scheduler.threads());
        admission = created;
        admissionMeters = List.of(
                Gauge.builder("earshot.decode.load", created, DecodeAdmission::load)
                        .description("Decoding threads the open live sessions need at real time (measured)")
                        .strongReference(true).register(registry),
                Gauge.builder("earshot.decode.capacity", created, DecodeAdmission::capacity)
                        .description("Decoding threads live sessions may need together (earshot.admission.max-load"
                                + " times the decoding threads)").strongReference(true).register(registry),
                Gauge.builder("earshot.decode.lag.seconds", created, DecodeAdmission::maxLagSeconds)
                        .description("How far the most lagging live session is behind real time").strongReference(true)
                        .register(registry),
                FunctionCounter.builder("earshot.sessions.refused", created, DecodeAdmission::refused)
                        .description("New sessions refused")
                        .tags("reason", dev.earshot.gateway.session.SessionRefusedException.DECODE_LOAD)
                        .register(registry));
        admissionTimer = vertx.setPeriodic(DecodeAdmission.SAMPLE_INTERVAL.toMillis(), id -> created.sample());
    }

    /** Why a pipeline cannot use its plugins (one failed in its start or stop hook), or null. */
    static String pluginFailure(RuntimePlan.PipelinePlan plan) {
        for (ComponentSpec component : plan.components()) {
            LoadedPlugin plugin = component.plugin();
            if (plugin.state() == LoadedPlugin.State.FAILED) {
                return "cannot use plugin '" + plugin.name() + "' (for " + component.describe() + "): " + plugin.failure();
            }
        }
        return null;
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
            components.bind(pipeline, plan, problems);
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
        return lifecycle.add(plugin);
    }

    /**
     * Removes an installed plugin: refused while a pipeline that uses it runs (or has sessions). Otherwise the
     * pipelines using it lose their components (they resolve them again when started), the components it created are
     * closed, and its stop hook runs. The caller then closes its class loader.
     *
     * @return the removed plugin
     */
    public synchronized LoadedPlugin uninstall(String name) throws PluginInstallException {
        LoadedPlugin plugin = lifecycle.checkUninstall(name);
        List<Pipeline> using = pipelines.values().stream().filter(p -> p.uses(plugin)).toList();
        List<String> busy = using.stream().filter(p -> p.sessionCount() > 0 || p.state() == Pipeline.State.RUNNING
                || p.state() == Pipeline.State.STARTING || p.state() == Pipeline.State.STOPPING).map(Pipeline::name).sorted().toList();
        if (!busy.isEmpty()) {
            throw new PluginInstallException(PluginInstallException.Reason.IN_USE, "plugin '" + name
                    + "' is used by running pipeline(s) " + String.join(", ", busy)
                    + "; stop them first (POST /api/pipelines/<name>/stop)");
        }
        using.forEach(Pipeline::unbind);
        components.closeOf(plugin);
        lifecycle.remove(plugin);
        LOG.log(System.Logger.Level.INFO, "plugin '" + name + "' uninstalled" + (using.isEmpty() ? ""
                : "; pipeline(s) " + using.stream().map(Pipeline::name).sorted().toList() + " need it again to start"));
        return plugin;
    }

    /**
     * Adds a pipeline (or replaces one added earlier) from a spec, and starts it when the spec says {@code enabled}.
     * Checked in full first: on any error nothing is created and nothing running changes. Stored in the data folder.
     *
     * @param force replace even while the earlier pipeline has sessions
     * @return the pipeline, and whether it is new
     */
    public PipelinePut put(PipelineSpec spec, boolean force) throws PipelineChangeException {
        requireRunning();
        return changes.put(spec, force);
    }

    /** The outcome of {@link #put}: the pipeline now under that name and whether it is new. */
    public record PipelinePut(Pipeline pipeline, boolean created) {
    }

    /** Stops and removes a pipeline added through the API, with its stored spec. */
    public Pipeline remove(String name, boolean force) throws PipelineChangeException {
        requireRunning();
        return changes.remove(name, force);
    }

    /** The spec of a pipeline added through the API; empty for a configured one. */
    public Optional<PipelineSpec> storedSpec(String name) {
        return changes.spec(name);
    }

    /** Whether a pipeline comes from the configuration file (and so cannot be changed through the API). */
    public boolean configured(String name) {
        return changes.configured(name);
    }

    private void requireRunning() throws PipelineChangeException {
        if (state.get() != State.RUNNING) {
            throw new PipelineChangeException(PipelineChangeException.Reason.BUSY, "the gateway is "
                    + state.get().name().toLowerCase(java.util.Locale.ROOT));
        }
    }

    void settings(RuntimeSettings changed) {
        this.settings = changed;
    }

    RuntimeComponents components() {
        return components;
    }

    int sessionCapacity() {
        return sessionCapacity;
    }

    /** A new pipeline, listed from now on. */
    Pipeline newPipeline(PipelineSettings pipelineSettings) {
        Pipeline pipeline = new Pipeline(pipelineSettings, this, registry);
        pipelines.put(pipeline.name(), pipeline);
        return pipeline;
    }

    /** Unlists a removed pipeline and removes its meters. */
    void forget(Pipeline pipeline) {
        pipelines.remove(pipeline.name(), pipeline);
        removeMeters(pipeline);
    }

    private void removeMeters(Pipeline pipeline) {
        registry.getMeters().stream().filter(meter -> pipeline.name().equals(meter.getId().getTag("pipeline")))
                .forEach(registry::remove);
    }

    /** Creates a pipeline's capture source (a new instance each time the pipeline starts). */
    @Override
    public CaptureSource createSource(ComponentSpec spec) {
        return components.createSource(spec);
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
     * Takes everything down within {@code drain}: pipelines first (see {@link PipelineStop#stopAll}; paced sessions may
     * finish), then sinks deliver what is queued in the time left, which is at least a fifth of the budget (at most
     * 2 s of it).
     */
    private void shutdown(Duration drain) {
        long deadline = System.nanoTime() + drain.toNanos();
        Duration sinkReserve = Duration.ofNanos(Math.min(drain.toNanos() / 5, Duration.ofSeconds(2).toNanos()));
        PipelineStop.stopAll(List.copyOf(pipelines.values()), drain.minus(sinkReserve), true);
        components.closeAll(deadline);
        speechGates.close();
        if (admissionTimer >= 0) {
            vertx.cancelTimer(admissionTimer);
            admissionTimer = -1;
        }
        // The registry is the process's and outlives the runtime; a gauge holds what it reads (a pipeline, a sink's
        // channel, admission), so meters left behind would keep the stopped runtime reachable and read stale values.
        // Sinks' meters went with the sinks (closeAll), engines' with the engines.
        pipelines.values().forEach(this::removeMeters);
        admissionMeters.forEach(registry::remove);
        lifecycle.stopAll();
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