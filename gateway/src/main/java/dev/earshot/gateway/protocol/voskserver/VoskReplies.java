package dev.earshot.gateway.protocol.voskserver;

import dev.earshot.spi.transcript.Alternative;
import dev.earshot.spi.transcript.TranscriptEvent;
import dev.earshot.spi.transcript.Word;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.util.List;

/** The vosk-server protocol's replies as it writes them: finals (with words or n-best alternatives) and close reasons. */
final class VoskReplies {

    private static final int REASON_MAX = 120;

    private VoskReplies() {
    }

    /** The finals received since the last reply, as one vosk-server final (empty text when there are none). */
    static String finalReply(List<TranscriptEvent> events, int maxAlternatives, boolean words) {
        if (maxAlternatives > 0) {
            JsonArray alternatives = new JsonArray();
            int ranks = events.stream().mapToInt(e -> e.alternatives().size()).min().orElse(0);
            if (events.isEmpty() || ranks == 0) {
                StringBuilder text = new StringBuilder();
                JsonArray result = new JsonArray();
                for (TranscriptEvent e : events) {
                    text.append(text.length() == 0 ? "" : " ").append(e.text());
                    e.words().forEach(w -> result.add(word(w)));
                }
                JsonObject only = new JsonObject().put("confidence", events.isEmpty() ? 0.0 : 1.0);
                if (words && !result.isEmpty()) {
                    only.put("result", result);
                }
                alternatives.add(only.put("text", text.toString()));
            } else {
                for (int rank = 0; rank < ranks; rank++) {
                    double confidence = 0;
                    StringBuilder text = new StringBuilder();
                    JsonArray result = new JsonArray();
                    for (TranscriptEvent e : events) {
                        Alternative alternative = e.alternatives().get(rank);
                        confidence += alternative.confidence();
                        text.append(text.length() == 0 ? "" : " ").append(alternative.text());
                        alternative.words().forEach(w -> result.add(word(w)));
                    }
                    JsonObject entry = new JsonObject().put("confidence", confidence);
                    if (words && !result.isEmpty()) {
                        entry.put("result", result);
                    }
                    alternatives.add(entry.put("text", text.toString()));
                }
            }
            return new JsonObject().put("alternatives", alternatives).encode();
        }
        StringBuilder text = new StringBuilder();
        JsonArray result = new JsonArray();
        for (TranscriptEvent e : events) {
            text.append(text.length() == 0 ? "" : " ").append(e.text());
            e.words().forEach(w -> result.add(word(w)));
        }
        JsonObject reply = new JsonObject();
        if (words && !result.isEmpty()) {
            reply.put("result", result);
        }
        return reply.put("text", text.toString()).encode();
    }

    /** A word as vosk-server writes it: conf (when known), end, start, word. */
    private static JsonObject word(Word word) {
        JsonObject json = new JsonObject();
        if (!Double.isNaN(word.confidence())) {
            json.put("conf", word.confidence());
        }
        return json.put("end", word.end()).put("start", word.start()).put("word", word.word());
    }

    /** A close reason fits 123 bytes of UTF-8. */
    static String truncate(String reason) {
        byte[] utf8 = reason.getBytes(StandardCharsets.UTF_8);
        if (utf8.length <= REASON_MAX) {
            return reason;
        }
        String cut = new String(utf8, 0, REASON_MAX - 3, StandardCharsets.UTF_8);
        while (cut.getBytes(StandardCharsets.UTF_8).length > REASON_MAX - 3) {
            cut = cut.substring(0, cut.length() - 1);
        }
        return cut + "...";
    }
}
