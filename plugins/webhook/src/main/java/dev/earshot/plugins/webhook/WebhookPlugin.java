package dev.earshot.plugins.webhook;

import dev.earshot.spi.Plugin;
import dev.earshot.spi.sink.TranscriptSinkFactory;

import java.util.List;

/** The {@code webhook} sink: each final transcript POSTed as JSON to a URL. */
public final class WebhookPlugin implements Plugin {

    public static final String NAME = "webhook";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Iterable<TranscriptSinkFactory> sinkFactories() {
        return List.of(new WebhookSinkFactory());
    }
}
