package dev.earshot.spi;

import dev.earshot.spi.engine.SpeechEngineFactory;
import dev.earshot.spi.hook.SessionHookFactory;
import dev.earshot.spi.sink.TranscriptSinkFactory;
import dev.earshot.spi.source.CaptureSourceFactory;

import java.util.List;

/**
 * The entry point of a plugin jar, found with {@link java.util.ServiceLoader} (list the implementation in
 * {@code META-INF/services/dev.earshot.spi.Plugin}). A plugin hands out named factories for the capture sources,
 * speech engines, transcript sinks and session hooks it provides; every method but {@link #name()} is optional.
 *
 * <h2>Lifecycle</h2>
 * The host calls {@link #start(PluginContext)} once, before it asks any factory for an instance, and
 * {@link #stop()} once at shutdown, after every instance the plugin created has been closed. No method of the
 * plugin or of its factories is called after {@code stop()} returns. Both hooks run on a host worker thread (never
 * an event loop) and are bounded by the host's hook time limit ({@code earshot.runtime.hook-timeout}, 5 s by default):
 * a hook that throws or overruns fails the pipelines that use the plugin, and only those.
 *
 * <h2>Metadata and installing</h2>
 * Beside the plugin class, {@code earshot-plugin.properties} records {@code version} and {@code spi-version}, the
 * SPI version the plugin is built against (see {@link SpiVersion}). A plugin jar installed into a running gateway gets
 * a class loader of its own that shares only {@code dev.earshot.spi.*} and the JDK with the host, so it bundles its
 * own dependencies; such a plugin gets no {@link PluginContext#hostService host services}.
 */
public interface Plugin {

    /** Short, stable identifier of the plugin, e.g. {@code "vosk"}; unique among installed plugins. */
    String name();

    /**
     * Version of the plugin. By default: the {@code version} in {@code earshot-plugin.properties} beside the plugin
     * class (same package; fill it with Maven resource filtering: {@code version=${project.version}}), else the
     * {@code Implementation-Version} of the jar's manifest, else "unknown".
     */
    default String version() {
        return Manifests.pluginVersion(getClass()).orElse("unknown");
    }

    default Iterable<CaptureSourceFactory> sourceFactories() {
        return List.of();
    }

    default Iterable<SpeechEngineFactory> engineFactories() {
        return List.of();
    }

    default Iterable<TranscriptSinkFactory> sinkFactories() {
        return List.of();
    }

    default Iterable<SessionHookFactory> sessionHookFactories() {
        return List.of();
    }

    /** Plugin start hook. The context carries the plugin's own settings ({@code earshot.plugins.<name>.*}). */
    default void start(PluginContext context) throws Exception {
    }

    /** Plugin stop hook. Must release everything the plugin holds (threads, native handles, child processes). */
    default void stop() throws Exception {
    }
}
