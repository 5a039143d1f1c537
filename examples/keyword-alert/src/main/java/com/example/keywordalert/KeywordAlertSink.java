package com.example.keywordalert;

import dev.earshot.spi.sink.TranscriptSink;
import dev.earshot.spi.transcript.TranscriptEvent;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/** Appends {@code <event id> <pipeline> <keyword,...>: <text>} for each final that contains a keyword. */
final class KeywordAlertSink implements TranscriptSink {

    private final String name;
    private final List<String> keywords;
    private final Path file;
    private final System.Logger logger;

    KeywordAlertSink(String name, List<String> keywords, Path file, System.Logger logger) {
        this.name = name;
        this.keywords = List.copyOf(keywords);
        this.file = file;
        this.logger = logger;
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
        Set<String> spoken = Arrays.stream(event.text().toLowerCase(Locale.ROOT).split("\\s+")).collect(Collectors.toSet());
        List<String> found = new ArrayList<>();
        for (String keyword : keywords) {
            if (spoken.contains(keyword)) {
                found.add(keyword);
            }
        }
        if (found.isEmpty()) {
            return;
        }
        String line = event.id() + " " + event.pipeline() + " " + String.join(",", found) + ": " + event.text() + "\n";
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        // Written and forced before returning: returning means delivered (the host retries and spools otherwise).
        Files.writeString(file, line, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND,
                StandardOpenOption.WRITE, StandardOpenOption.SYNC);
        logger.log(System.Logger.Level.INFO, "sink '" + name + "': alert " + found + " in \"" + event.text() + "\"");
    }
}
