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

    /**
     * The canonical JSON form, one line, used by every built-in sink and stream:
     * <pre>{"id":"s1-4","type":"final","pipeline":"default","session":"s1","sequence":4,"text":"go forward",
     * "result":[{"word":"go","start":0.51,"end":0.72,"conf":1.0}],"audioEnd":1.9,"timestamp":"2026-..."}</pre>
     * {@code result} (words, named as vosk-server names them) and {@code alternatives} appear only when present.
     */
    public String toJson() {
        StringBuilder json = new StringBuilder(128 + text.length() + words.size() * 64);
        json.append("{\"id\":");
        Json.string(json, id);
        json.append(",\"type\":\"").append(type.wireName()).append('"');
        json.append(",\"pipeline\":");
        Json.string(json, pipeline);
        json.append(",\"session\":");
        Json.string(json, session);
        json.append(",\"sequence\":").append(sequence);
        json.append(",\"text\":");
        Json.string(json, text);
        if (!words.isEmpty()) {
            json.append(",\"result\":");
            Json.words(json, words);
        }
        if (!alternatives.isEmpty()) {
            json.append(",\"alternatives\":[");
            for (int i = 0; i < alternatives.size(); i++) {
                Alternative alternative = alternatives.get(i);
                json.append(i == 0 ? "" : ",").append("{\"confidence\":");
                Json.number(json, alternative.confidence());
                json.append(",\"text\":");
                Json.string(json, alternative.text());
                if (!alternative.words().isEmpty()) {
                    json.append(",\"result\":");
                    Json.words(json, alternative.words());
                }
                json.append('}');
            }
            json.append(']');
        }
        json.append(",\"audioEnd\":");
        Json.number(json, audioEnd);
        json.append(",\"timestamp\":\"").append(timestamp).append("\"}");
        return json.toString();
    }
}
