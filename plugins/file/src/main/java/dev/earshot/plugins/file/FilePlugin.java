package dev.earshot.plugins.file;

import dev.earshot.spi.Plugin;
import dev.earshot.spi.sink.TranscriptSinkFactory;
import dev.earshot.spi.source.CaptureSourceFactory;

import java.util.List;

/**
 * Files in and out: the {@code file} capture source (WAV or raw s16le), the {@code jsonl} sink (JSON Lines file with
 * rotation) and the {@code log} sink.
 */
public final class FilePlugin implements Plugin {

    public static final String NAME = "file";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Iterable<CaptureSourceFactory> sourceFactories() {
        return List.of(new FileSourceFactory());
    }

    @Override
    public Iterable<TranscriptSinkFactory> sinkFactories() {
        return List.of(new JsonLinesSinkFactory(), new LogSinkFactory());
    }
}
