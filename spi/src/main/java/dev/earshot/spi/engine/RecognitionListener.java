package dev.earshot.spi.engine;

import dev.earshot.spi.transcript.Hypothesis;

/** Receives a recognizer's output. Implemented by the host; cheap and non-blocking. */
@FunctionalInterface
public interface RecognitionListener {

    /** A partial or final hypothesis. Partials that repeat the previous one are ignored by the host. */
    void onHypothesis(Hypothesis hypothesis);
}
