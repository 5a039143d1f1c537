package dev.earshot.gateway.delivery;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.earshot.spi.transcript.Alternative;
import dev.earshot.spi.transcript.TranscriptEvent;
import dev.earshot.spi.transcript.Word;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads {@link dev.earshot.json.TranscriptJson#toJson} back into an event (the spool stores that form). Kept in the gateway, with
 * Jackson, so that the SPI stays free of dependencies.
 */
public final class TranscriptEventJson {

    private static final ObjectMapper JSON = new ObjectMapper();

    private TranscriptEventJson() {
    }

    /** @throws IllegalArgumentException when the text is not an event in the canonical form */
    public static TranscriptEvent parse(String text) {
        JsonNode node;
        try {
            node = JSON.readTree(text);
        } catch (Exception e) {
            throw new IllegalArgumentException("not JSON: " + e.getMessage(), e);
        }
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException("not a JSON object");
        }
        String type = required(node, "type").asText();
        TranscriptEvent.Type eventType = switch (type) {
            case "final" -> TranscriptEvent.Type.FINAL;
            case "partial" -> TranscriptEvent.Type.PARTIAL;
            default -> throw new IllegalArgumentException("unknown type '" + type + "'");
        };
        List<Alternative> alternatives = new ArrayList<>();
        for (JsonNode alternative : node.path("alternatives")) {
            alternatives.add(new Alternative(required(alternative, "text").asText(),
                    number(alternative.get("confidence")), words(alternative.path("result"))));
        }
        return new TranscriptEvent(required(node, "id").asText(), eventType, required(node, "pipeline").asText(),
                required(node, "session").asText(), required(node, "sequence").asLong(), required(node, "text").asText(),
                words(node.path("result")), alternatives, number(node.get("audioEnd")),
                Instant.parse(required(node, "timestamp").asText()));
    }

    private static List<Word> words(JsonNode array) {
        List<Word> words = new ArrayList<>();
        for (JsonNode word : array) {
            words.add(new Word(required(word, "word").asText(), number(word.get("start")), number(word.get("end")),
                    number(word.get("conf"))));
        }
        return words;
    }

    private static double number(JsonNode node) {
        return node == null || node.isNull() ? Double.NaN : node.asDouble();
    }

    private static JsonNode required(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            throw new IllegalArgumentException("no '" + field + "'");
        }
        return value;
    }
}
