package dev.earshot.plugins.vosk;

import dev.earshot.spi.Plugin;
import dev.earshot.spi.engine.SpeechEngineFactory;

import java.util.List;

/**
 * Speech-to-text on Vosk (Kaldi), offline and in process: provides the {@code vosk} engine type. The plugin holds
 * nothing itself; each engine owns its model and is closed by the host.
 */
public final class VoskPlugin implements Plugin {

    public static final String NAME = "vosk";

    private final List<SpeechEngineFactory> engineFactories = List.of(new VoskEngineFactory());

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Iterable<SpeechEngineFactory> engineFactories() {
        return engineFactories;
    }
}
