package dev.earshot.plugins.exec;

import dev.earshot.spi.Plugin;
import dev.earshot.spi.sink.TranscriptSinkFactory;
import dev.earshot.spi.source.CaptureSourceFactory;

import java.util.List;

/**
 * Plugins in any language: the {@code exec} sink (events as JSON lines on a program's stdin, acknowledged on its
 * stdout) and the {@code exec} source (a program that writes audio to its stdout).
 */
public final class ExecPlugin implements Plugin {

    public static final String NAME = "exec";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Iterable<CaptureSourceFactory> sourceFactories() {
        return List.of(new ExecSourceFactory());
    }

    @Override
    public Iterable<TranscriptSinkFactory> sinkFactories() {
        return List.of(new ExecSinkFactory());
    }
}
