package dev.earshot.plugins.mqtt;

import dev.earshot.spi.Plugin;
import dev.earshot.spi.sink.TranscriptSinkFactory;

import java.util.List;

/** The {@code mqtt} sink: transcripts published to an MQTT broker with the gateway's Vert.x MQTT client. */
public final class MqttPlugin implements Plugin {

    public static final String NAME = "mqtt";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Iterable<TranscriptSinkFactory> sinkFactories() {
        return List.of(new MqttSinkFactory());
    }
}
