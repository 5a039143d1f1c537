package dev.earshot.spi.transcript;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TranscriptValuesTest {

    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    private static TranscriptEvent event(TranscriptEvent.Type type, List<Word> words) {
        return new TranscriptEvent("s1-0", type, "default", "s1", 0, "go", words, List.of(), 0.5, T0);
    }

    @Test
    void eventTypeAndWireNames() {
        assertTrue(event(TranscriptEvent.Type.FINAL, List.of()).isFinal());
        assertFalse(event(TranscriptEvent.Type.PARTIAL, List.of()).isFinal());
        assertEquals("final", TranscriptEvent.Type.FINAL.wireName());
        assertEquals("partial", TranscriptEvent.Type.PARTIAL.wireName());
    }

    @Test
    void eventCopiesItsListsAndComparesByValue() {
        List<Word> words = new ArrayList<>(List.of(new Word("go", 0.1, 0.4, 0.9)));
        TranscriptEvent event = event(TranscriptEvent.Type.FINAL, words);
        words.add(new Word("later", 1, 2, 1));
        assertEquals(1, event.words().size(), "the event keeps its own copy");
        assertThrows(UnsupportedOperationException.class, () -> event.words().add(new Word("x", 0, 0, 0)));
        assertEquals(event(TranscriptEvent.Type.FINAL, List.of(new Word("go", 0.1, 0.4, 0.9))), event);
        assertNotEquals(event(TranscriptEvent.Type.PARTIAL, List.of(new Word("go", 0.1, 0.4, 0.9))), event);
    }

    @Test
    void eventNamesTheMissingField() {
        NullPointerException text = assertThrows(NullPointerException.class, () -> new TranscriptEvent(
                "s1-0", TranscriptEvent.Type.FINAL, "default", "s1", 0, null, List.of(), List.of(), 0, T0));
        assertEquals("text is null", text.getMessage());
        NullPointerException time = assertThrows(NullPointerException.class, () -> new TranscriptEvent(
                "s1-0", TranscriptEvent.Type.FINAL, "default", "s1", 0, "", List.of(), List.of(), 0, null));
        assertEquals("timestamp is null", time.getMessage());
        assertThrows(NullPointerException.class, () -> new TranscriptEvent(
                "s1-0", TranscriptEvent.Type.FINAL, "default", "s1", 0, "", null, List.of(), 0, T0));
    }

    @Test
    void wordsAndAlternativesValidateAndCopy() {
        assertEquals("word is null", assertThrows(NullPointerException.class, () -> new Word(null, 0, 0, 0)).getMessage());
        assertEquals("text is null",
                assertThrows(NullPointerException.class, () -> new Alternative(null, 1, List.of())).getMessage());
        List<Word> words = new ArrayList<>(List.of(new Word("a", 0, 1, 1)));
        Alternative alternative = new Alternative("a", 0.5, words);
        words.clear();
        assertEquals(List.of(new Word("a", 0, 1, 1)), alternative.words());
        assertEquals(new Alternative("a", 0.5, List.of(new Word("a", 0, 1, 1))), alternative);
    }

    @Test
    void hypothesisFactories() {
        Hypothesis partial = Hypothesis.partial("go for");
        assertFalse(partial.isFinal());
        assertEquals(List.of(), partial.words());
        Hypothesis result = Hypothesis.finalResult("go", List.of(new Word("go", 0, 1, 1)));
        assertTrue(result.isFinal());
        assertEquals(new Hypothesis(true, "go", List.of(new Word("go", 0, 1, 1)), List.of()), result);
        assertThrows(NullPointerException.class, () -> Hypothesis.partial(null));
    }
}
