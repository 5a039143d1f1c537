package dev.earshot.plugins.mqtt;

import dev.earshot.conformance.PluginContract;
import dev.earshot.spi.Plugin;

/** The MQTT plugin's entry point against the conformance kit (its sink needs the host's Vert.x and a broker). */
class MqttPluginConformanceTest extends PluginContract {

    @Override
    protected Class<? extends Plugin> pluginClass() {
        return MqttPlugin.class;
    }
}
