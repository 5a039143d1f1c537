package dev.earshot.plugins.vosk;

import dev.earshot.spi.transcript.Alternative;
import dev.earshot.spi.transcript.Hypothesis;
import dev.earshot.spi.transcript.Word;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The result shapes below are copied from what Vosk 0.3.45 printed for goforward.raw. */
class TestVoskJson {

    @Test
    void readsPartials() throws IOException {
        assertEquals("go forward", VoskJson.partialText("{\n  \"partial\" : \"go forward\"\n}"));
        assertEquals("", VoskJson.partialText("{\n  \"partial\" : \"\"\n}"));
        assertEquals("go", VoskJson.partialText("{\"partial_result\" : [{\"conf\" : 1.0, \"end\" : 0.6, "
                + "\"start\" : 0.4, \"word\" : \"go\"}], \"partial\" : \"go\"}"));
        assertEquals("", VoskJson.partialText("{}"));
    }

    @Test
    void readsFinalWithWords() throws IOException {
        Hypothesis hypothesis = VoskJson.finalHypothesis("""
                {
                  "result" : [{
                      "conf" : 1.000000,
                      "end" : 0.660000,
                      "start" : 0.450000,
                      "word" : "go"
                    }, {
                      "conf" : 0.635046,
                      "end" : 1.200000,
                      "start" : 0.660000,
                      "word" : "forward"
                    }],
                  "text" : "go forward"
                }""");
        assertTrue(hypothesis.isFinal());
        assertEquals("go forward", hypothesis.text());
        assertEquals(List.of(new Word("go", 0.45, 0.66, 1.0), new Word("forward", 0.66, 1.2, 0.635046)),
                hypothesis.words());
        assertEquals(List.of(), hypothesis.alternatives());
    }

    @Test
    void readsFinalWithoutWordsAndEmptyFinals() throws IOException {
        assertEquals(new Hypothesis(true, "go forward", List.of(), List.of()),
                VoskJson.finalHypothesis("{\n  \"text\" : \"go forward\"\n}"));
        assertEquals(new Hypothesis(true, "", List.of(), List.of()), VoskJson.finalHypothesis("{\"text\": \"\"}"));
    }

    @Test
    void readsAlternativesAndTakesTheBestAsText() throws IOException {
        Hypothesis hypothesis = VoskJson.finalHypothesis("""
                {
                  "alternatives" : [{
                      "confidence" : 231.573242,
                      "result" : [{
                          "end" : 0.660000,
                          "start" : 0.450000,
                          "word" : "go"
                        }],
                      "text" : "go"
                    }, {
                      "confidence" : 220.5,
                      "text" : "no"
                    }]
                }""");
        assertEquals("go", hypothesis.text());
        assertEquals(1, hypothesis.words().size());
        Word go = hypothesis.words().get(0);
        assertEquals("go", go.word());
        assertEquals(0.45, go.start());
        assertEquals(0.66, go.end());
        assertTrue(Double.isNaN(go.confidence()), "alternatives' words carry no confidence: " + go);
        assertEquals(2, hypothesis.alternatives().size());
        assertEquals(231.573242, hypothesis.alternatives().get(0).confidence());
        assertEquals(new Alternative("no", 220.5, List.of()), hypothesis.alternatives().get(1));

        Hypothesis empty = VoskJson.finalHypothesis("{\"alternatives\" : [{\"text\": \"\", \"confidence\" : 1.0}] }");
        assertEquals("", empty.text());
        assertEquals(List.of(new Alternative("", 1.0, List.of())), empty.alternatives());
    }

    @Test
    void skipsUnknownFields() throws IOException {
        Hypothesis hypothesis = VoskJson.finalHypothesis(
                "{\"spk\" : [0.1, -0.2], \"spk_frames\" : 120, \"extra\" : {\"a\" : [1, {\"b\" : 2}]}, "
                        + "\"result\" : [{\"word\" : \"go\", \"start\" : 1, \"end\" : 2, \"conf\" : 1, \"x\" : [3]}], "
                        + "\"text\" : \"go\"}");
        assertEquals("go", hypothesis.text());
        assertEquals(List.of(new Word("go", 1, 2, 1)), hypothesis.words());
    }

    @Test
    void unreadableResultsNameTheJson() {
        IOException truncated = assertThrows(IOException.class, () -> VoskJson.finalHypothesis("{\"text\" : \"go"));
        assertTrue(truncated.getMessage().contains("{\"text\" : \"go"), truncated.getMessage());
        IOException notObject = assertThrows(IOException.class, () -> VoskJson.partialText("[1]"));
        assertTrue(notObject.getMessage().contains("[1]"), notObject.getMessage());
        IOException noWord = assertThrows(IOException.class,
                () -> VoskJson.finalHypothesis("{\"result\" : [{\"start\" : 1}], \"text\" : \"\"}"));
        assertTrue(noWord.getMessage().contains("\"word\""), noWord.getMessage());
    }

    @Test
    void writesGrammarsWithUnknownAndEscapes() {
        assertEquals("[\"go forward ten meters\",\"turn left\",\"[unk]\"]",
                VoskJson.grammar(List.of("go forward ten meters", " turn left ", "turn left", "  ")));
        assertEquals("[\"say \\\"hi\\\"\",\"[unk]\"]", VoskJson.grammar(List.of("say \"hi\"")));
        assertEquals("[\"[unk]\",\"yes\"]", VoskJson.grammar(List.of("[unk]", "yes")));
        assertNull(VoskJson.grammar(List.of()));
        assertNull(VoskJson.grammar(Arrays.asList(" ", "")));
    }
}
