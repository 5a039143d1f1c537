package dev.earshot.spi.engine;

import dev.earshot.spi.hook.SessionInfo;

import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * Per-session recognizer settings a client may ask for (e.g. through the vosk-server protocol's {@code config}).
 * An engine ignores what it cannot do.
 *
 * @param words           report word timings and confidences in finals
 * @param maxAlternatives n-best alternatives in finals; 0 for none
 * @param phrases         restrict recognition to these phrases (a grammar); empty for free speech
 */
public record RecognizerOptions(SessionInfo session, boolean words, int maxAlternatives, List<String> phrases) {

    public RecognizerOptions {
        requireNonNull(session, "session is null");
        if (maxAlternatives < 0) {
            throw new IllegalArgumentException("maxAlternatives is negative: " + maxAlternatives);
        }
        phrases = List.copyOf(phrases);
    }

    public static RecognizerOptions defaults(SessionInfo session) {
        return new RecognizerOptions(session, true, 0, List.of());
    }
}
