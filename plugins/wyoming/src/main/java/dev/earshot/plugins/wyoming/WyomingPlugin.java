package dev.earshot.plugins.wyoming;

import dev.earshot.spi.Plugin;
import dev.earshot.spi.engine.SpeechEngineFactory;

import java.util.List;

/** Out-of-process speech engines speaking the Wyoming protocol: {@code wyoming-process} and {@code wyoming-tcp}. */
public final class WyomingPlugin implements Plugin {

    @Override
    public String name() {
        return "wyoming";
    }

    @Override
    public Iterable<SpeechEngineFactory> engineFactories() {
        return List.of(new WyomingProcessEngineFactory(), new WyomingTcpEngineFactory());
    }
}
