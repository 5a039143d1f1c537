package dev.earshot.spi.engine;

import dev.earshot.spi.PluginContext;
import dev.earshot.spi.PluginOption;

import java.util.List;

/** Creates speech engines of one type, e.g. {@code "vosk"}. */
public interface SpeechEngineFactory {

    /** The type name users write in {@code earshot.engines.<id>.type} or directly as a pipeline's engine. */
    String name();

    /**
     * Creates an engine and loads what it shares between sessions (e.g. a model). Called once per configured engine,
     * on a host worker thread; may block. Read every option here (see {@link dev.earshot.spi.PluginConfig}).
     *
     * @throws dev.earshot.spi.PluginException with a message naming the key and the fix when configuration is wrong
     */
    SpeechEngine create(PluginContext context) throws Exception;

    /**
     * The options this factory reads, for checks before {@link #create}, the API and the configuration reference.
     * Optional: a factory that keeps this default, the empty list, declares none (then the host reports the keys it
     * did not read as unknown). Called once when the plugin is loaded; must not block.
     */
    default List<PluginOption> options() {
        return List.of();
    }
}
