package dev.earshot.plugins.vosk;

import dev.earshot.conformance.PluginContract;
import dev.earshot.conformance.SpeechEngineContract;
import dev.earshot.conformance.TestPluginContext;
import dev.earshot.spi.Plugin;
import dev.earshot.spi.engine.SpeechEngine;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

/** The Vosk engine (real model, real speech) against the SPI contracts of the conformance kit. */
class VoskConformanceTest {

    @Nested
    class Entry extends PluginContract {
        @Override
        protected Class<? extends Plugin> pluginClass() {
            return VoskPlugin.class;
        }
    }

    @Nested
    class Engine extends SpeechEngineContract {
        @TempDir
        Path home;

        @Override
        protected SpeechEngine createEngine() throws Exception {
            return new VoskEngineFactory().create(TestPluginContext.engine("vosk",
                    Map.of("model", SpeechSamples.modelFolder().toString()), home));
        }

        @Override
        protected byte[] speech() throws Exception {
            return SpeechSamples.goForward();
        }
    }
}
