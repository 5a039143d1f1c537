package dev.earshot.spi.source;

import dev.earshot.spi.audio.AudioFormat;

import java.util.Map;

/** What a running capture source uses to open sessions in its pipeline. Thread-safe. */
public interface SourceContext {

    /**
     * Opens a session in the source's pipeline.
     *
     * @param origin     a short description of the stream, e.g. {@code "file:/data/a.wav"}
     * @param format     the format the source will write; the host converts it to the engine's
     * @param pacing     how the session's queue behaves when it is full
     * @param attributes free-form details shown in the API and passed to hooks
     * @throws IllegalStateException when the pipeline is stopping or at its session limit
     */
    AudioSession openSession(String origin, AudioFormat format, Pacing pacing, Map<String, String> attributes);
}
