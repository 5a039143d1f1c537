package com.example.template;

import dev.earshot.spi.sink.TranscriptSink;
import dev.earshot.spi.transcript.TranscriptEvent;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A transcript sink: appends {@code <event id> <text>} for every final transcript to a file. Replace the body of
 * {@link #deliver} with what your sink does. Contract: {@code deliver} runs on a delivery thread of the sink's own
 * and may block; returning means delivered, throwing means "retry" (the host retries finals, then spools them).
 */
final class TemplateSink implements TranscriptSink {

    private final Path file;

    TemplateSink(Path file) {
        this.file = file;
    }

    @Override
    public boolean acceptsPartials() {
        return false;
    }

    @Override
    public void deliver(TranscriptEvent event) throws IOException {
        if (!event.isFinal()) {
            return;
        }
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        // Add StandardOpenOption.SYNC when a crash of the machine must not lose what was reported delivered.
        Files.writeString(file, event.id() + " " + event.text() + "\n", StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
    }
}
