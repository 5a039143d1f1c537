package dev.earshot.plugins.file;

import dev.earshot.spi.PluginContext;
import dev.earshot.spi.sink.TranscriptSink;
import dev.earshot.spi.sink.TranscriptSinkFactory;
import dev.earshot.spi.PluginOption;

import java.util.List;

import static java.util.Objects.requireNonNull;

/** Creates {@code log} sinks. Option, under {@code earshot.sinks.<id>.}: {@code partials} (false by default). */
public final class LogSinkFactory implements TranscriptSinkFactory {

    public static final String NAME = "log";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public List<PluginOption> options() {
        return List.of(PluginOption.bool("partials", false, "Also log partial transcripts."));
    }

    @Override
    public TranscriptSink create(PluginContext context) {
        requireNonNull(context, "context is null");
        boolean partials = context.config().getBoolean("partials", false);
        return new LogSink(context.logger(), partials);
    }
}
