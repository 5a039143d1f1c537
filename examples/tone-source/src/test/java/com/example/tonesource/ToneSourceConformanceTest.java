package com.example.tonesource;

import dev.earshot.conformance.CaptureSourceContract;
import dev.earshot.conformance.PluginContract;
import dev.earshot.conformance.TestPluginContext;
import dev.earshot.spi.Plugin;
import dev.earshot.spi.source.CaptureSource;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

/** The plugin and its source against Earshot's SPI contracts (the conformance kit). */
class ToneSourceConformanceTest {

    @Nested
    class ThePlugin extends PluginContract {
        @Override
        protected Class<? extends Plugin> pluginClass() {
            return ToneSourcePlugin.class;
        }
    }

    @Nested
    class TheSource extends CaptureSourceContract {
        @TempDir
        Path home;

        @Override
        protected CaptureSource createSource() throws Exception {
            return new ToneSourcePlugin().sourceFactories().iterator().next()
                    .create(TestPluginContext.source("beeper", Map.of("beep", "200ms", "pause", "100ms"), home));
        }
    }
}
