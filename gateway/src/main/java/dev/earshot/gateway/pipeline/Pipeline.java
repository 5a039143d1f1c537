package dev.earshot.gateway.pipeline;

import dev.earshot.gateway.speech.SpeechGate;
import dev.earshot.gateway.delivery.SinkChannel;
import dev.earshot.gateway.plugin.PluginCalls;
import dev.earshot.gateway.plugin.PluginFailedException;
import dev.earshot.gateway.session.EngineInstance;
import dev.earshot.gateway.session.Session;
import dev.earshot.gateway.session.SessionListener;
import dev.earshot.gateway.session.SessionRefusedException;
import dev.earshot.gateway.session.SessionHost;
import dev.earshot.gateway.session.SessionRequest;
import dev.earshot.gateway.settings.ComponentSpec;
import dev.earshot.gateway.settings.GatewayConfigException;
import dev.earshot.gateway.settings.PipelineSettings;
import dev.earshot.gateway.settings.RuntimePlan;
import dev.earshot.spi.audio.AudioFormat;
import dev.earshot.spi.engine.RecognizerOptions;
import dev.earshot.spi.hook.SessionHook;
import dev.earshot.spi.hook.SessionInfo;
import dev.earshot.spi.source.AudioSession;
import dev.earshot.spi.source.SessionOutcome;
import dev.earshot.spi.source.CaptureSource;
import dev.earshot.spi.source.Pacing;
import dev.earshot.spi.source.SourceContext;
import dev.earshot.spi.transcript.TranscriptEvent;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Context;

import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import static java.util.Objects.requireNonNull;

/**
 * A configured chain: an optional capture source, one (shared) engine, hooks and sinks. Sessions are opened by its
 * source or by ingest endpoints; each gets its own recognizer from the engine and publishes to the sinks.
 */
public final class Pipeline implements SessionHost {

    public enum State { STOPPED, STARTING, RUNNING, STOPPING, FAILED }

    /** A hook instance with the id it was configured under and the plugin that provided it. */
    public record Hook(String id, SessionHook hook, dev.earshot.gateway.plugin.LoadedPlugin plugin) {
        String describe(String call) {
            return "plugin '" + plugin.name() + "' hook '" + id + "' " + call;
        }
    }

    private static final System.Logger LOG = System.getLogger(Pipeline.class.getName());

    private final PipelineSettings settings;
    private final PipelineHost runtime;
    private volatile boolean speechGateFailed;
    // Bound when the pipeline's components are resolved and created (at start-up for enabled pipelines, else when it
    // is started); unbound again when a plugin it uses is uninstalled. Changed only while the pipeline is not running.
    private volatile RuntimePlan.PipelinePlan plan;
    private volatile EngineInstance engine;
    private volatile List<SinkChannel> sinks = List.of();
    private volatile List<Hook> hooks = List.of();
    private final PipelineMetrics metrics;
    private final Map<String, Session> sessions = new ConcurrentHashMap<>();

    private final Object lifecycle = new Object();
    private volatile State state = State.STOPPED;
    private volatile String failure;
    private CaptureSource source;

    public Pipeline(PipelineSettings settings, PipelineHost runtime, MeterRegistry registry) {
        this.settings = requireNonNull(settings, "settings is null");
        this.runtime = requireNonNull(runtime, "runtime is null");
        this.metrics = new PipelineMetrics(registry, this);
    }

    /** Attaches the created components. Only while the pipeline is not running. */
    public void bind(RuntimePlan.PipelinePlan plan, EngineInstance engine, List<SinkChannel> sinks, List<Hook> hooks) {
        synchronized (lifecycle) {
            this.plan = requireNonNull(plan, "plan is null");
            this.engine = requireNonNull(engine, "engine is null");
            this.sinks = List.copyOf(sinks);
            this.hooks = List.copyOf(hooks);
            this.sinks.forEach(sink -> sink.routeAdded(name()));
        }
    }

    /** Detaches the components (a plugin they come from is being removed); the next start resolves them again. */
    public void unbind() {
        synchronized (lifecycle) {
            plan = null;
            engine = null;
            sinks.forEach(sink -> sink.routeRemoved(name()));
            sinks = List.of();
            hooks = List.of();
        }
    }

    /** The resolved plan, or null while the pipeline's components are not created. */
    public RuntimePlan.PipelinePlan plan() {
        return plan;
    }

    /** True when one of the pipeline's components (as bound now) comes from the plugin. */
    public boolean uses(dev.earshot.gateway.plugin.LoadedPlugin plugin) {
        RuntimePlan.PipelinePlan current = plan;
        return current != null && current.components().stream().anyMatch(c -> c.plugin() == plugin);
    }

    @Override
    public String name() {
        return settings.name();
    }

    public PipelineSettings settings() {
        return settings;
    }

    public Optional<ComponentSpec> sourceSpec() {
        RuntimePlan.PipelinePlan current = plan;
        return current == null ? Optional.empty() : current.source();
    }

    public State state() {
        return state;
    }

    /** Why the pipeline failed, or null. */
    public String failure() {
        return failure;
    }

    /** The engine, or null while the pipeline's components are not created (see {@link #state()}). */
    @Override
    public EngineInstance engine() {
        return engine;
    }

    public List<SinkChannel> sinks() {
        return sinks;
    }

    public List<String> hookIds() {
        return hooks.stream().map(Hook::id).toList();
    }

    public Collection<Session> sessions() {
        return List.copyOf(sessions.values());
    }

    public int sessionCount() {
        return sessions.size();
    }

    int queuedFrames() {
        int total = 0;
        for (Session session : sessions.values()) {
            total += session.queuedFrames();
        }
        return total;
    }

    public PipelineMetrics metrics() {
        return metrics;
    }

    @Override
    public AudioFormat engineFormat() {
        return engine.inputFormat();
    }

    /**
     * The speech gate of a session that starts decoding, or null when the pipeline's {@code speech-gate} does not
     * gate its origin, the engine's format cannot be gated, or the detector cannot be loaded (logged once: the
     * session is then decoded whole rather than refused). On the session's decoding task.
     */
    @Override
    public SpeechGate openSpeechGate(Session session) {
        if (!settings.speechGate().gates(session.live())) {
            return null;
        }
        try {
            return runtime.speechGates().open(engineFormat(), session.id());
        } catch (IllegalStateException e) {
            if (!speechGateFailed) {
                speechGateFailed = true;
                LOG.log(System.Logger.Level.WARNING, "pipeline '" + name() + "': sessions are decoded whole: "
                        + e.getMessage());
            }
            return null;
        }
    }

    public double realtimeFactor() {
        return metrics.realtimeFactor();
    }

    /** The gateway's admission of new live sessions (shared by every pipeline), as the API shows it; null before start. */
    public dev.earshot.gateway.session.DecodeAdmission.View admission() {
        var admission = runtime.admission();
        return admission == null ? null : admission.view();
    }

    // ---- sessions -----------------------------------------------------------------------------------------------

    /**
     * Opens a session. Never blocks: the recognizer is created on the decoding worker.
     *
     * @throws SessionRefusedException when the pipeline is not running, has {@code max-sessions} open, one of its
     *                                 sinks cannot store more finals (spool full under policy refuse), or decoding is
     *                                 at capacity for a new live session ({@link dev.earshot.gateway.session.DecodeAdmission})
     */
    public Session openSession(SessionRequest request) {
        requireNonNull(request, "request is null");
        if (state != State.RUNNING) {
            throw new SessionRefusedException("pipeline '" + name() + "' is " + state.name().toLowerCase()
                    + (failure == null ? "" : ": " + failure), state == State.STARTING || state == State.STOPPING);
        }
        for (SinkChannel sink : sinks) {
            String refusal = sink.refusal();
            if (refusal != null) {
                throw new SessionRefusedException("pipeline '" + name() + "': " + refusal, true);
            }
        }
        String id = runtime.newSessionId();
        SessionInfo info = new SessionInfo(id, name(), request.origin(), request.format(), Instant.now(), request.attributes());
        RecognizerOptions options = new RecognizerOptions(info, request.words(), request.maxAlternatives(), request.phrases());
        Context home = request.home() != null ? request.home() : runtime.nextContext();
        Session session = new Session(this, info, request.pacing(), home, options, request.listener(),
                settings().frameQueue(), runtime.scheduler());
        synchronized (lifecycle) {
            if (state != State.RUNNING) {
                throw new SessionRefusedException("pipeline '" + name() + "' is " + state.name().toLowerCase(),
                        state == State.STOPPING);
            }
            if (sessions.size() >= settings().maxSessions()) {
                throw new SessionRefusedException("pipeline '" + name() + "' has reached its limit of "
                        + settings().maxSessions() + " sessions (earshot.pipelines." + name() + ".max-sessions)", true);
            }
            runtime.admission().admit(session);
            sessions.put(id, session);
        }
        metrics.sessionsOpened.increment();
        LOG.log(System.Logger.Level.DEBUG, "session " + id + " opened in pipeline '" + name() + "' from "
                + request.origin() + " (" + request.format() + ")");
        session.start();
        return session;
    }

    public Optional<Session> session(String id) {
        return Optional.ofNullable(sessions.get(id));
    }

    /** Runs the session-started hooks; returns why the session must fail, or null. Decoding worker. */
    @Override
    public String startSession(Session session) {
        return new SessionHookCalls(name(), hooks, runtime.hooks(), this::hookOverran).started(session);
    }

    /**
     * Removes a released session and, when its session-started hooks were called ({@code hooksStarted}), runs the
     * session-stopped hooks: a hook hears "stopped" only for a session it heard "started" for. Decoding worker.
     */
    @Override
    public void stopSession(Session session, SessionOutcome outcome, boolean hooksStarted) {
        sessions.remove(session.id(), session);
        runtime.admission().released(session);
        if (hooksStarted) {
            new SessionHookCalls(name(), hooks, runtime.hooks(), this::hookOverran).stopped(session, outcome);
        }
        if (!outcome.isNormal()) {
            LOG.log(System.Logger.Level.WARNING, "session " + session.id() + " in pipeline '" + name() + "' stopped: " + outcome);
        }
    }

    /**
     * A session hook overran its time limit: its thread may be stuck for good, so the pipeline fails (new sessions
     * refused, open ones aborted) until it is started again, and the plugin shows the failure.
     */
    private void hookOverran(Hook hook, String message, Session current) {
        hook.plugin().recordFailure(message);
        synchronized (lifecycle) {
            if (state != State.RUNNING) {
                return;
            }
        }
        fail(message);
        for (Session session : sessions.values()) {
            if (session != current) {
                session.abort(SessionOutcome.failed(message));
            }
        }
    }

    @Override
    public void frameIn() {
        metrics.framesIn.increment();
    }

    @Override
    public void frameDropped() {
        metrics.framesDropped.increment();
    }

    @Override
    public void sessionFailed() {
        metrics.sessionsFailed.increment();
    }

    @Override
    public void decoded(long decodeTimeNanos, long audioTimeNanos) {
        metrics.decoded(decodeTimeNanos, audioTimeNanos);
    }

    @Override
    public void gated(long detectorNanos, long frames, long audioNanos) {
        metrics.gated(detectorNanos, frames, audioNanos);
    }

    @Override
    public void publish(TranscriptEvent event) {
        (event.isFinal() ? metrics.finals : metrics.partials).increment();
        for (SinkChannel sink : sinks) {
            sink.offer(event);
        }
        runtime.bus().publish(event);
    }

    // ---- lifecycle ----------------------------------------------------------------------------------------------

    /** Starts the pipeline (and its capture source, if it has one). Idempotent while running. */
    public void start() {
        synchronized (lifecycle) {
            if (state == State.RUNNING || state == State.STARTING) {
                return;
            }
            if (state == State.STOPPING) {
                throw new SessionRefusedException("pipeline '" + name() + "' is stopping; try again when it has stopped", true);
            }
            state = State.STARTING;
            failure = null;
        }
        try {
            runtime.prepare(this);
            RuntimePlan.PipelinePlan plan = this.plan;
            CaptureSource created = plan.source().isPresent() ? runtime.createSource(plan.source().get()) : null;
            synchronized (lifecycle) {
                source = created;
                state = State.RUNNING;
            }
            if (created != null) {
                created.start(new PipelineSourceContext());
            }
            LOG.log(System.Logger.Level.INFO, "pipeline '" + name() + "' running: "
                    + plan.source().map(s -> "source " + s.id() + ", ").orElse("")
                    + "engine " + engine.id() + " (" + engine.inputFormat() + "), sinks " + plan.sinks()
                    + (plan.hooks().isEmpty() ? "" : ", hooks " + plan.hooks()));
        } catch (Exception e) {
            String message = e instanceof GatewayConfigException || e instanceof PluginFailedException || e instanceof dev.earshot.spi.PluginException
                    ? e.getMessage() : PluginCalls.describe(e);
            fail(e instanceof PluginFailedException ? message : "cannot start: " + message);
            throw new IllegalStateException("pipeline '" + name() + "' " + failure, e);
        }
    }

    /** Marks the pipeline failed without starting it (e.g. a plugin it uses failed to start). */
    public void failed(String reason) {
        synchronized (lifecycle) {
            if (state == State.RUNNING || state == State.STARTING || state == State.STOPPING) {
                return;
            }
        }
        fail(reason);
    }

    private void fail(String reason) {
        CaptureSource toClose;
        synchronized (lifecycle) {
            failure = reason;
            state = State.FAILED;
            toClose = source;
            source = null;
        }
        closeSource(toClose);
        LOG.log(System.Logger.Level.ERROR, "pipeline '" + name() + "' failed: " + reason);
    }

    /**
     * Stops the pipeline: refuses new sessions, ends its sessions gracefully (finals flushed), waits up to
     * {@code drain} for them, aborts the rest, then closes its source. Idempotent.
     */
    public void stop(Duration drain) {
        PipelineStop.stopAll(List.of(this), drain, false);
    }

    /** Refuses new sessions from now on; false when the pipeline is already stopped or stopping. */
    boolean beginStop() {
        synchronized (lifecycle) {
            if (state == State.STOPPED || state == State.STOPPING) {
                return false;
            }
            state = State.STOPPING;
            return true;
        }
    }

    void completeStop() {
        CaptureSource toClose;
        synchronized (lifecycle) {
            toClose = source;
            source = null;
        }
        closeSource(toClose);
        synchronized (lifecycle) {
            state = failure == null ? State.STOPPED : State.FAILED;
        }
        LOG.log(System.Logger.Level.INFO, "pipeline '" + name() + "' stopped");
    }

    private void closeSource(CaptureSource toClose) {
        if (toClose == null) {
            return;
        }
        try {
            runtime.hooks().call("source '" + sourceSpec().map(ComponentSpec::id).orElse("?") + "' close", () -> {
                toClose.close();
                return null;
            });
        } catch (PluginCalls.HookFailedException e) {
            LOG.log(System.Logger.Level.ERROR, "pipeline '" + name() + "': " + e.getMessage());
        }
    }

    /** How the pipeline's capture source opens sessions: on a host-chosen event loop, with no listener. */
    private final class PipelineSourceContext implements SourceContext {
        @Override
        public AudioSession openSession(String origin, AudioFormat format, Pacing pacing, Map<String, String> attributes) {
            return Pipeline.this.openSession(new SessionRequest(origin, format, pacing, attributes, true, 0, List.of(),
                    SessionListener.NONE, null));
        }
    }
}
