package dev.earshot.spi.transcript;

import static java.util.Objects.requireNonNull;

/**
 * One recognised word.
 *
 * @param start      seconds from the start of the session's audio
 * @param end        seconds from the start of the session's audio
 * @param confidence 0 to 1, or {@code Double.NaN} when the engine gives none (e.g. Vosk with alternatives)
 */
public record Word(String word, double start, double end, double confidence) {
    public Word {
        requireNonNull(word, "word is null");
    }
}
