package dev.earshot.json;

import java.util.List;

import dev.earshot.spi.transcript.Alternative;
import dev.earshot.spi.transcript.TranscriptEvent;
import dev.earshot.spi.transcript.Word;

/** The canonical one-line JSON form of a {@link TranscriptEvent}, written by every built-in sink and stream. */
public final class TranscriptJson {

    private TranscriptJson() {
    }

    /**
     * The canonical JSON form, one line, used by every built-in sink and stream:
     * <pre>{"id":"s1-4","type":"final","pipeline":"default","session":"s1","sequence":4,"text":"go forward",
     * "result":[{"word":"go","start":0.51,"end":0.72,"conf":1.0}],"audioEnd":1.9,"timestamp":"2026-..."}</pre>
     * {@code result} (the words, named as vosk-server names them) and {@code alternatives} appear only when present.
     */
    public static String toJson(TranscriptEvent event) {
        StringBuilder json = new StringBuilder(128 + event.text().length() + event.words().size() * 64);
        json.append("{\"id\":");
        Json.string(json, event.id());
        json.append(",\"type\":\"").append(event.type().wireName()).append('"');
        json.append(",\"pipeline\":");
        Json.string(json, event.pipeline());
        json.append(",\"session\":");
        Json.string(json, event.session());
        json.append(",\"sequence\":").append(event.sequence());
        json.append(",\"text\":");
        Json.string(json, event.text());
        if (!event.words().isEmpty()) {
            json.append(",\"result\":");
            words(json, event.words());
        }
        if (!event.alternatives().isEmpty()) {
            json.append(",\"alternatives\":[");
            for (int i = 0; i < event.alternatives().size(); i++) {
                Alternative alternative = event.alternatives().get(i);
                json.append(i == 0 ? "" : ",").append("{\"confidence\":");
                Json.number(json, alternative.confidence());
                json.append(",\"text\":");
                Json.string(json, alternative.text());
                if (!alternative.words().isEmpty()) {
                    json.append(",\"result\":");
                    words(json, alternative.words());
                }
                json.append('}');
            }
            json.append(']');
        }
        json.append(",\"audioEnd\":");
        Json.number(json, event.audioEnd());
        json.append(",\"timestamp\":\"").append(event.timestamp()).append("\"}");
        return json.toString();
    }

    private static void words(StringBuilder out, List<Word> words) {
        out.append('[');
        for (int i = 0; i < words.size(); i++) {
            Word word = words.get(i);
            out.append(i == 0 ? "{\"word\":" : ",{\"word\":");
            Json.string(out, word.word());
            out.append(",\"start\":");
            Json.number(out, word.start());
            out.append(",\"end\":");
            Json.number(out, word.end());
            out.append(",\"conf\":");
            Json.number(out, word.confidence());
            out.append('}');
        }
        out.append(']');
    }
}
