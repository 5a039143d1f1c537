package com.example.officehours;

import dev.earshot.conformance.PluginContract;
import dev.earshot.conformance.SessionHookContract;
import dev.earshot.conformance.TestPluginContext;
import dev.earshot.spi.Plugin;
import dev.earshot.spi.hook.SessionHook;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

/** The plugin and its hook against Earshot's SPI contracts (the conformance kit). */
class OfficeHoursConformanceTest {

    @Nested
    class ThePlugin extends PluginContract {
        @Override
        protected Class<? extends Plugin> pluginClass() {
            return OfficeHoursPlugin.class;
        }
    }

    @Nested
    class TheHook extends SessionHookContract {
        @TempDir
        Path home;

        /** Always open, so that the contract's sessions are admitted whenever the build runs. */
        @Override
        protected SessionHook createHook() throws Exception {
            return new OfficeHoursPlugin().sessionHookFactories().iterator().next()
                    .create(TestPluginContext.hook("office", Map.of("hours", "00:00-24:00"), home));
        }
    }
}
