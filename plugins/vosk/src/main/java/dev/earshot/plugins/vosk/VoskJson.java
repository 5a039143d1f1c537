package dev.earshot.plugins.vosk;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.earshot.spi.transcript.Alternative;
import dev.earshot.spi.transcript.Hypothesis;
import dev.earshot.spi.transcript.Word;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * Reads the JSON that Vosk returns and writes the JSON grammars it takes, with jackson-core's streaming API.
 *
 * <p>The shapes Vosk 0.3.45 produces (whitespace aside):
 * <pre>
 * partial:           {"partial" : "go forward"}
 * final:             {"text" : "go forward"}
 * final, words:      {"result" : [{"conf" : 1.0, "end" : 0.66, "start" : 0.45, "word" : "go"}, ...],
 *                     "text" : "go forward"}
 * final, n-best:     {"alternatives" : [{"confidence" : 231.57,
 *                                        "result" : [{"end" : 0.66, "start" : 0.45, "word" : "go"}, ...],
 *                                        "text" : "go forward"}, ...]}
 * </pre>
 * Unknown fields are skipped. Words of alternatives carry no confidence: their {@link Word#confidence()} is
 * {@link Double#NaN} (written as {@code null} by the canonical event JSON ({@code dev.earshot.json.TranscriptJson})). An alternative's confidence is
 * Vosk's lattice score, not a probability.
 *
 * <p>Stateless and thread-safe.
 */
final class VoskJson {

    private static final JsonFactory FACTORY = new JsonFactory();
    /** The grammar entry that lets out-of-grammar speech decode as {@code [unk]} instead of the nearest phrase. */
    static final String UNKNOWN = "[unk]";

    private VoskJson() {
    }

    /** The text of a partial result; {@code ""} when the result holds none. */
    static String partialText(String json) throws IOException {
        requireNonNull(json, "json is null");
        try (JsonParser parser = FACTORY.createParser(json)) {
            expect(parser, parser.nextToken(), JsonToken.START_OBJECT);
            String text = "";
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String field = parser.currentName();
                JsonToken value = parser.nextToken();
                if ("partial".equals(field) && value == JsonToken.VALUE_STRING) {
                    text = parser.getText();
                } else {
                    parser.skipChildren();
                }
            }
            return text;
        } catch (IOException e) {
            throw unreadable(json, e);
        }
    }

    /**
     * A final hypothesis. With alternatives and no top-level text (Vosk's n-best form), the text and words are the
     * best alternative's.
     */
    static Hypothesis finalHypothesis(String json) throws IOException {
        return finalHypothesis(json, 0);
    }

    /**
     * A final hypothesis whose word times are moved back by {@code offsetSeconds}: a recognizer that decoded
     * earlier sessions (see {@code VoskEngine}'s warm recognizers) counts its times from its own first audio.
     */
    static Hypothesis finalHypothesis(String json, double offsetSeconds) throws IOException {
        requireNonNull(json, "json is null");
        try (JsonParser parser = FACTORY.createParser(json)) {
            expect(parser, parser.nextToken(), JsonToken.START_OBJECT);
            String text = null;
            List<Word> words = List.of();
            List<Alternative> alternatives = List.of();
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String field = parser.currentName();
                JsonToken value = parser.nextToken();
                if ("text".equals(field) && value == JsonToken.VALUE_STRING) {
                    text = parser.getText();
                } else if ("result".equals(field) && value == JsonToken.START_ARRAY) {
                    words = words(parser, offsetSeconds);
                } else if ("alternatives".equals(field) && value == JsonToken.START_ARRAY) {
                    alternatives = alternatives(parser, offsetSeconds);
                } else {
                    parser.skipChildren();
                }
            }
            if (text == null && !alternatives.isEmpty()) {
                Alternative best = alternatives.get(0);
                text = best.text();
                if (words.isEmpty()) {
                    words = best.words();
                }
            }
            return new Hypothesis(true, text == null ? "" : text, words, alternatives);
        } catch (IOException e) {
            throw unreadable(json, e);
        }
    }

    /**
     * A Vosk grammar: the phrases as a JSON array of strings, each trimmed, blank and repeated ones left out, plus
     * {@value #UNKNOWN}. Returns {@code null} when no phrase is left (free speech).
     */
    static String grammar(List<String> phrases) {
        requireNonNull(phrases, "phrases is null");
        Set<String> entries = new LinkedHashSet<>();
        for (String phrase : phrases) {
            String trimmed = requireNonNull(phrase, "phrase is null").strip();
            if (!trimmed.isEmpty()) {
                entries.add(trimmed);
            }
        }
        if (entries.isEmpty()) {
            return null;
        }
        entries.add(UNKNOWN);
        StringWriter out = new StringWriter();
        try (JsonGenerator generator = FACTORY.createGenerator(out)) {
            generator.writeStartArray();
            for (String entry : entries) {
                generator.writeString(entry);
            }
            generator.writeEndArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a StringWriter does not fail
        }
        return out.toString();
    }

    private static List<Alternative> alternatives(JsonParser parser, double offsetSeconds) throws IOException {
        List<Alternative> alternatives = new ArrayList<>();
        JsonToken token;
        while ((token = parser.nextToken()) != JsonToken.END_ARRAY) {
            expect(parser, token, JsonToken.START_OBJECT);
            String text = "";
            double confidence = Double.NaN;
            List<Word> words = List.of();
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String field = parser.currentName();
                JsonToken value = parser.nextToken();
                if ("text".equals(field) && value == JsonToken.VALUE_STRING) {
                    text = parser.getText();
                } else if ("confidence".equals(field) && value.isNumeric()) {
                    confidence = parser.getDoubleValue();
                } else if ("result".equals(field) && value == JsonToken.START_ARRAY) {
                    words = words(parser, offsetSeconds);
                } else {
                    parser.skipChildren();
                }
            }
            alternatives.add(new Alternative(text, confidence, words));
        }
        return alternatives;
    }

    /** Reads a {@code result} array; the parser is on its START_ARRAY and is left on its END_ARRAY. */
    private static List<Word> words(JsonParser parser, double offsetSeconds) throws IOException {
        List<Word> words = new ArrayList<>();
        JsonToken token;
        while ((token = parser.nextToken()) != JsonToken.END_ARRAY) {
            expect(parser, token, JsonToken.START_OBJECT);
            String word = null;
            double start = Double.NaN;
            double end = Double.NaN;
            double confidence = Double.NaN;
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String field = parser.currentName();
                JsonToken value = parser.nextToken();
                if (value.isNumeric()) {
                    switch (field) {
                        case "start" -> start = parser.getDoubleValue();
                        case "end" -> end = parser.getDoubleValue();
                        case "conf" -> confidence = parser.getDoubleValue();
                        default -> {
                        }
                    }
                } else if ("word".equals(field) && value == JsonToken.VALUE_STRING) {
                    word = parser.getText();
                } else {
                    parser.skipChildren();
                }
            }
            if (word == null) {
                throw new IOException("a word entry has no \"word\" field");
            }
            words.add(new Word(word, shift(start, offsetSeconds), shift(end, offsetSeconds), confidence));
        }
        return words;
    }

    /** Vosk writes times to the microsecond: the difference is rounded to that, so 5.54 - 5.3 gives 0.24. */
    private static double shift(double time, double offsetSeconds) {
        return offsetSeconds == 0 || Double.isNaN(time) ? time : Math.round((time - offsetSeconds) * 1e6) / 1e6;
    }

    private static void expect(JsonParser parser, JsonToken actual, JsonToken expected) throws IOException {
        if (actual != expected) {
            throw new IOException("expected " + expected + " but found " + actual + " at "
                    + parser.currentLocation().getColumnNr());
        }
    }

    private static IOException unreadable(String json, IOException cause) {
        String shown = json.length() > 300 ? json.substring(0, 300) + "..." : json;
        return new IOException("cannot read the result Vosk returned (" + cause.getMessage() + "): " + shown, cause);
    }
}
