package dev.earshot.gateway.session;

import dev.earshot.gateway.plugin.PluginCalls;
import dev.earshot.gateway.settings.ComponentSpec;

import dev.earshot.spi.audio.AudioFormat;
import dev.earshot.spi.engine.EngineHealth;
import dev.earshot.spi.engine.EngineStat;
import dev.earshot.spi.engine.ModelInfo;
import dev.earshot.spi.engine.RecognitionListener;
import dev.earshot.spi.engine.Recognizer;
import dev.earshot.spi.engine.RecognizerOptions;
import dev.earshot.spi.engine.SpeechEngine;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static java.util.Objects.requireNonNull;

/** A created speech engine, shared by the pipelines that name it, with an account of its recognizers. */
public final class EngineInstance implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(EngineInstance.class.getName());

    private final ComponentSpec spec;
    private final SpeechEngine engine;
    private final AudioFormat inputFormat;
    private final AtomicInteger openRecognizers = new AtomicInteger();
    private final AtomicLong createdRecognizers = new AtomicLong();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final List<Meter> meters = new ArrayList<>();
    private MeterRegistry registry;

    public EngineInstance(ComponentSpec spec, SpeechEngine engine) {
        this.spec = requireNonNull(spec, "spec is null");
        this.engine = requireNonNull(engine, "engine is null");
        this.inputFormat = requireNonNull(engine.inputFormat(), "engine '" + spec.id() + "' reported no input format");
    }

    public String id() {
        return spec.id();
    }

    public ComponentSpec spec() {
        return spec;
    }

    public AudioFormat inputFormat() {
        return inputFormat;
    }

    /** Recognizers created and not yet released: one per running session. */
    public int openRecognizers() {
        return openRecognizers.get();
    }

    /** What the engine says its model is, if it says. */
    public Optional<ModelInfo> modelInfo() {
        try {
            return engine.modelInfo();
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    /** The engine's own account of its health (e.g. an out-of-process engine restarting its program). */
    public EngineHealth health() {
        try {
            EngineHealth health = engine.health();
            return health == null ? EngineHealth.up() : health;
        } catch (RuntimeException e) {
            return EngineHealth.down("health check failed: " + PluginCalls.describe(e));
        }
    }

    public long createdRecognizers() {
        return createdRecognizers.get();
    }

    Recognizer createRecognizer(Session session, RecognizerOptions options, RecognitionListener listener) throws Exception {
        Recognizer recognizer = engine.createRecognizer(options, listener);
        if (recognizer == null) {
            throw new IllegalStateException("engine '" + id() + "' returned no recognizer for session " + session.id());
        }
        openRecognizers.incrementAndGet();
        createdRecognizers.incrementAndGet();
        return recognizer;
    }

    void releaseRecognizer(Session session, Recognizer recognizer) {
        try {
            recognizer.close();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "engine '" + id() + "': closing the recognizer of session "
                    + session.id() + " failed", e);
        } finally {
            openRecognizers.decrementAndGet();
        }
    }

    /**
     * Exports the engine's own figures ({@link SpeechEngine#stats()}) as {@code earshot.engine.<name>} tagged with the
     * engine's id and type; removed again by {@link #close()}. A plugin's bad stat (a duplicate name, a value that
     * throws) costs that stat only, with a warning: the engine still serves.
     */
    public synchronized void registerStats(MeterRegistry registry) {
        if (this.registry != null || closed.get()) {
            return;
        }
        this.registry = registry;
        List<EngineStat> stats;
        try {
            stats = engine.stats();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "engine '" + id() + "': its stats() failed, none exported: "
                    + PluginCalls.describe(e));
            return;
        }
        Tags tags = Tags.of("engine", id(), "type", spec.type());
        Set<String> names = new HashSet<>();
        for (EngineStat stat : stats == null ? List.<EngineStat>of() : stats) {
            if (stat == null || !names.add(stat.name())) {
                LOG.log(System.Logger.Level.WARNING, "engine '" + id() + "': stat " + (stat == null ? "null"
                        : "'" + stat.name() + "' given twice") + " not exported");
                continue;
            }
            // The meter reads this instance (held by the runtime until it closes, which removes the meter); the
            // function holds the stat.
            String name = "earshot.engine." + stat.name();
            meters.add(stat.counter()
                    ? FunctionCounter.builder(name, this, instance -> read(stat)).description(stat.description())
                    .tags(tags).register(registry)
                    : Gauge.builder(name, this, instance -> read(stat)).description(stat.description()).tags(tags)
                    .register(registry));
        }
    }

    private static double read(EngineStat stat) {
        try {
            return stat.value().getAsDouble();
        } catch (RuntimeException e) {
            return Double.NaN;
        }
    }

    @Override
    public void close() {
        synchronized (this) {
            if (registry != null) {
                meters.forEach(registry::remove);
                meters.clear();
            }
        }
        if (closed.compareAndSet(false, true)) {
            try {
                engine.close();
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "engine '" + id() + "': close failed", e);
            }
        }
    }
}
