package dev.earshot.plugins.wyoming;

import dev.earshot.conformance.PluginContract;
import dev.earshot.spi.Plugin;

class WyomingPluginConformanceTest extends PluginContract {

    @Override
    protected Class<? extends Plugin> pluginClass() {
        return WyomingPlugin.class;
    }
}
