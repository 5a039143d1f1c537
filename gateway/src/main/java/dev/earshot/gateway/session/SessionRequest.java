package dev.earshot.gateway.session;

import dev.earshot.spi.audio.AudioFormat;
import dev.earshot.spi.source.Pacing;
import io.vertx.core.Context;

import java.util.List;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * What an ingest endpoint or a capture source asks for when it opens a session.
 *
 * @param home the context the listener is called on (the caller's event loop); null picks one
 */
public record SessionRequest(String origin, AudioFormat format, Pacing pacing, Map<String, String> attributes,
                             boolean words, int maxAlternatives, List<String> phrases,
                             SessionListener listener, Context home) {

    public SessionRequest {
        requireNonNull(origin, "origin is null");
        requireNonNull(format, "format is null");
        requireNonNull(pacing, "pacing is null");
        attributes = Map.copyOf(attributes);
        phrases = List.copyOf(phrases);
        requireNonNull(listener, "listener is null");
    }

    public static SessionRequest of(String origin, AudioFormat format, Pacing pacing) {
        return new SessionRequest(origin, format, pacing, Map.of(), true, 0, List.of(), SessionListener.NONE, null);
    }
}
