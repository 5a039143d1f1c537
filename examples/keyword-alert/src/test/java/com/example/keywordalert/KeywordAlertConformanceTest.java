package com.example.keywordalert;

import dev.earshot.conformance.PluginContract;
import dev.earshot.conformance.TestPluginContext;
import dev.earshot.conformance.TranscriptSinkContract;
import dev.earshot.spi.Plugin;
import dev.earshot.spi.sink.TranscriptSink;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

/** The plugin and its sink against Earshot's SPI contracts (the conformance kit), as every plugin should be. */
class KeywordAlertConformanceTest {

    @Nested
    class ThePlugin extends PluginContract {
        @Override
        protected Class<? extends Plugin> pluginClass() {
            return KeywordAlertPlugin.class;
        }
    }

    @Nested
    class TheSink extends TranscriptSinkContract {
        @TempDir
        Path home;

        @Override
        protected TranscriptSink createSink() throws Exception {
            return new KeywordAlertPlugin().sinkFactories().iterator().next().create(TestPluginContext.sink("alerts", Map.of("keywords", "amiable,help",
                    "path", "alerts.log"), home));
        }
    }
}
