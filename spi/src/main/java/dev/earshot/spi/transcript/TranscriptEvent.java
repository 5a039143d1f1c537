package dev.earshot.spi.transcript;

import java.time.Instant;
import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * A transcript as it leaves a pipeline: a partial or final hypothesis of one session, with identity and timing.
 *
 * @param id        stable and unique: {@code <session>-<sequence>}; receivers de-duplicate on it
 * @param sequence  0, 1, 2, ... per session over partials and finals together, in emission order
 * @param audioEnd  seconds of session audio decoded when the event was produced
 * @param timestamp wall-clock time the event was produced
 */
public record TranscriptEvent(
        String id,
        Type type,
        String pipeline,
        String session,
        long sequence,
        String text,
        List<Word> words,
        List<Alternative> alternatives,
        double audioEnd,
        Instant timestamp) {

    public enum Type {
        PARTIAL, FINAL;

        public String wireName() {
            return this == PARTIAL ? "partial" : "final";
        }
    }

    public TranscriptEvent {
        requireNonNull(id, "id is null");
        requireNonNull(type, "type is null");
        requireNonNull(pipeline, "pipeline is null");
        requireNonNull(session, "session is null");
        requireNonNull(text, "text is null");
        requireNonNull(timestamp, "timestamp is null");
        words = List.copyOf(words);
        alternatives = List.copyOf(alternatives);
    }

    public boolean isFinal() {
        return type == Type.FINAL;
    }
}
