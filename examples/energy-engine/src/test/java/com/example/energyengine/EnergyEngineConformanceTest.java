package com.example.energyengine;

import dev.earshot.conformance.PluginContract;
import dev.earshot.conformance.SpeechEngineContract;
import dev.earshot.conformance.TestPluginContext;
import dev.earshot.spi.Plugin;
import dev.earshot.spi.engine.SpeechEngine;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

/** The plugin and its engine against Earshot's SPI contracts (the conformance kit). */
class EnergyEngineConformanceTest {

    @Nested
    class ThePlugin extends PluginContract {
        @Override
        protected Class<? extends Plugin> pluginClass() {
            return EnergyEnginePlugin.class;
        }
    }

    @Nested
    class TheEngine extends SpeechEngineContract {
        @TempDir
        Path home;

        @Override
        protected SpeechEngine createEngine() throws Exception {
            return new EnergyEnginePlugin().engineFactories().iterator().next()
                    .create(TestPluginContext.engine("levels", Map.of("threshold", "-30"), home));
        }

        /** Four tone bursts of 0.4 to 0.7 s: what this engine hears as sound. */
        @Override
        protected byte[] speech() {
            return Signals.bursts(0.3, 0.6, 0.5, 0.7, 0.4, 0.6);
        }
    }
}
