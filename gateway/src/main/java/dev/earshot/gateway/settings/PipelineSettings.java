package dev.earshot.gateway.settings;

import dev.earshot.gateway.speech.SpeechGateMode;

import java.util.List;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * One pipeline as configured ({@code earshot.pipelines.<name>.*}); names refer to component instances or types.
 *
 * @param frameQueue  frames each session may queue in front of its recognizer
 * @param maxSessions sessions open at once in this pipeline; more are refused
 * @param speechGate  which sessions decode only the audio around speech
 */
public record PipelineSettings(String name, boolean enabled, Optional<String> source, String engine,
                               List<String> sinks, List<String> hooks, int frameQueue, int maxSessions,
                               SpeechGateMode speechGate) {
    public PipelineSettings {
        requireNonNull(name, "name is null");
        requireNonNull(source, "source is null");
        requireNonNull(engine, "engine is null");
        requireNonNull(speechGate, "speechGate is null");
        sinks = List.copyOf(sinks);
        hooks = List.copyOf(hooks);
    }

    /** A pipeline with the default speech gate ({@code auto}). */
    public PipelineSettings(String name, boolean enabled, Optional<String> source, String engine,
                            List<String> sinks, List<String> hooks, int frameQueue, int maxSessions) {
        this(name, enabled, source, engine, sinks, hooks, frameQueue, maxSessions, SpeechGateMode.AUTO);
    }
}
