package dev.earshot.plugins.file;

import dev.earshot.spi.sink.TranscriptSink;
import dev.earshot.spi.transcript.TranscriptEvent;

import static java.util.Objects.requireNonNull;

/** Logs each transcript at INFO as {@code [<pipeline>/<session>] final: <text>} (or {@code partial:}). */
public final class LogSink implements TranscriptSink {

    private final System.Logger logger;
    private final boolean partials;

    LogSink(System.Logger logger, boolean partials) {
        this.logger = requireNonNull(logger, "logger is null");
        this.partials = partials;
    }

    @Override
    public boolean acceptsPartials() {
        return partials;
    }

    /** Logs the event; partials are skipped unless {@code partials} is set. */
    @Override
    public void deliver(TranscriptEvent event) {
        requireNonNull(event, "event is null");
        if (!event.isFinal() && !partials) {
            return;
        }
        // the one-argument log call does not format, so braces or quotes in the text come out as they are
        logger.log(System.Logger.Level.INFO,
                "[" + event.pipeline() + "/" + event.session() + "] " + event.type().wireName() + ": " + event.text());
    }
}
