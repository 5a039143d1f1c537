package dev.earshot.gateway.session;

import dev.earshot.gateway.plugin.PluginCalls;
import dev.earshot.gateway.settings.ComponentSpec;

import dev.earshot.spi.audio.AudioFormat;
import dev.earshot.spi.engine.EngineHealth;
import dev.earshot.spi.engine.ModelInfo;
import dev.earshot.spi.engine.RecognitionListener;
import dev.earshot.spi.engine.Recognizer;
import dev.earshot.spi.engine.RecognizerOptions;
import dev.earshot.spi.engine.SpeechEngine;

import java.util.Optional;
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

    /** The engine's own account of its health (e.g. an out-of-process engine restarting its program). */
    /** What the engine says its model is, if it says. */
    public Optional<ModelInfo> modelInfo() {
        try {
            return engine.modelInfo();
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

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

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            try {
                engine.close();
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "engine '" + id() + "': close failed", e);
            }
        }
    }
}
