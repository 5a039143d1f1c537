package dev.earshot.spi.transcript;

import java.util.List;

import static java.util.Objects.requireNonNull;

/** One of the n-best hypotheses of a final result, when the engine was asked for alternatives. */
public record Alternative(String text, double confidence, List<Word> words) {
    public Alternative {
        requireNonNull(text, "text is null");
        words = List.copyOf(words);
    }
}
