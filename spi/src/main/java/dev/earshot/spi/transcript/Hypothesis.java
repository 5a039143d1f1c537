package dev.earshot.spi.transcript;

import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * What a recognizer reports: a partial hypothesis (may still change) or a final one (settled, for one utterance).
 * The host turns it into a {@link TranscriptEvent} by adding the pipeline, session, sequence and timestamps.
 */
public record Hypothesis(boolean isFinal, String text, List<Word> words, List<Alternative> alternatives) {

    public Hypothesis {
        requireNonNull(text, "text is null");
        words = List.copyOf(words);
        alternatives = List.copyOf(alternatives);
    }

    public static Hypothesis partial(String text) {
        return new Hypothesis(false, text, List.of(), List.of());
    }

    public static Hypothesis finalResult(String text, List<Word> words) {
        return new Hypothesis(true, text, words, List.of());
    }
}
