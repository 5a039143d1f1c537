package dev.earshot.plugins.microphone;

import dev.earshot.spi.Plugin;
import dev.earshot.spi.source.CaptureSourceFactory;

import java.util.List;

/** Live audio from a capture device through {@code javax.sound.sampled}: the {@code microphone} capture source. */
public final class MicrophonePlugin implements Plugin {

    public static final String NAME = "microphone";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Iterable<CaptureSourceFactory> sourceFactories() {
        return List.of(new MicrophoneSourceFactory());
    }
}
