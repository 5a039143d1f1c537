package dev.earshot.spi.hook;

import dev.earshot.spi.audio.AudioFormat;

import java.time.Instant;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * Describes one session: one audio stream through one pipeline.
 *
 * @param origin     what opened it, e.g. {@code "file:/data/a.wav"}, {@code "api:transcribe"}, {@code "whip:1.2.3.4"}
 * @param format     the format the audio arrives in (before conversion to the engine's)
 * @param attributes free-form details from the source (device name, client address, ...)
 */
public record SessionInfo(String id, String pipeline, String origin, AudioFormat format, Instant startedAt,
                          Map<String, String> attributes) {
    public SessionInfo {
        requireNonNull(id, "id is null");
        requireNonNull(pipeline, "pipeline is null");
        requireNonNull(origin, "origin is null");
        requireNonNull(format, "format is null");
        requireNonNull(startedAt, "startedAt is null");
        attributes = Map.copyOf(attributes);
    }
}
