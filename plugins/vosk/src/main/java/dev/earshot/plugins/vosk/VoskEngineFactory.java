package dev.earshot.plugins.vosk;

import dev.earshot.spi.PluginContext;
import dev.earshot.spi.engine.SpeechEngineFactory;

/** Creates {@link VoskEngine}s: {@code earshot.engines.<id>.type=vosk}. Stateless and thread-safe. */
public final class VoskEngineFactory implements SpeechEngineFactory {

    public static final String NAME = "vosk";

    @Override
    public String name() {
        return NAME;
    }

    /**
     * Reads the options, loads libvosk (once per process) and the model; blocks for the model load.
     *
     * @see VoskEngine for the options
     */
    @Override
    public VoskEngine create(PluginContext context) {
        return VoskEngine.open(context);
    }
}
