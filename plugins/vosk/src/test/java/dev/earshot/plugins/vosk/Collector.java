package dev.earshot.plugins.vosk;

import dev.earshot.spi.engine.RecognitionListener;
import dev.earshot.spi.transcript.Hypothesis;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/** A listener that keeps every hypothesis, in order. Thread-safe. */
final class Collector implements RecognitionListener {

    private final List<Hypothesis> hypotheses = new ArrayList<>();

    @Override
    public synchronized void onHypothesis(Hypothesis hypothesis) {
        hypotheses.add(hypothesis);
    }

    synchronized List<Hypothesis> all() {
        return List.copyOf(hypotheses);
    }

    synchronized List<Hypothesis> finals() {
        return hypotheses.stream().filter(Hypothesis::isFinal).toList();
    }

    synchronized List<Hypothesis> partials() {
        return hypotheses.stream().filter(h -> !h.isFinal()).toList();
    }

    /** The texts of the finals that have text, joined with spaces. */
    synchronized String text() {
        return hypotheses.stream().filter(Hypothesis::isFinal).map(Hypothesis::text).filter(t -> !t.isEmpty())
                .collect(Collectors.joining(" "));
    }

    synchronized void clear() {
        hypotheses.clear();
    }
}
