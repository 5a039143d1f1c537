package dev.earshot.gateway.pipeline;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;

import java.util.concurrent.atomic.LongAdder;
import java.util.function.ToDoubleFunction;

/**
 * The meters of one pipeline, created once and updated on the hot path without look-ups. Exposed at
 * {@code /q/metrics} as {@code earshot_frames_in_total{pipeline="..."}} and so on.
 */
public final class PipelineMetrics {

    public final Counter framesIn;
    public final Counter framesDropped;
    final Counter partials;
    final Counter finals;
    final Counter sessionsOpened;
    public final Counter sessionsFailed;
    private final LongAdder decodeNanos = new LongAdder();
    private final LongAdder audioNanos = new LongAdder();
    private final LongAdder gateDetectorNanos = new LongAdder();
    private final LongAdder gatedFrames = new LongAdder();
    private final LongAdder gatedAudioNanos = new LongAdder();

    PipelineMetrics(MeterRegistry registry, Pipeline pipeline) {
        Tags tags = Tags.of("pipeline", pipeline.name());
        framesIn = Counter.builder("earshot.frames.in").description("Audio frames received").tags(tags).register(registry);
        framesDropped = Counter.builder("earshot.frames.dropped")
                .description("Audio frames dropped because a live session's queue was full").tags(tags).register(registry);
        partials = Counter.builder("earshot.transcripts").description("Transcript events produced")
                .tags(tags.and("type", "partial")).register(registry);
        finals = Counter.builder("earshot.transcripts").description("Transcript events produced")
                .tags(tags.and("type", "final")).register(registry);
        sessionsOpened = Counter.builder("earshot.sessions.opened").tags(tags).register(registry);
        sessionsFailed = Counter.builder("earshot.sessions.failed")
                .description("Sessions that ended with an error").tags(tags).register(registry);
        gauge(registry, "earshot.sessions.active", "Open sessions", tags, pipeline, p -> p.sessionCount());
        gauge(registry, "earshot.frame.queue.depth", "Frames queued in front of recognizers, all sessions", tags,
                pipeline, Pipeline::queuedFrames);
        FunctionCounter.builder("earshot.decode.seconds", decodeNanos, a -> a.sum() / 1e9)
                .description("CPU-side time spent in the recognizer").tags(tags).register(registry);
        FunctionCounter.builder("earshot.audio.decoded.seconds", audioNanos, a -> a.sum() / 1e9)
                .description("Seconds of audio fed to the recognizer").tags(tags).register(registry);
        FunctionCounter.builder("earshot.speech.gate.detector.seconds", gateDetectorNanos, a -> a.sum() / 1e9)
                .description("Time the speech gate's detector spent judging audio").tags(tags).register(registry);
        FunctionCounter.builder("earshot.speech.gate.frames.gated", gatedFrames, LongAdder::sum)
                .description("Audio frames the speech gate kept from the recognizer (no speech)").tags(tags).register(registry);
        FunctionCounter.builder("earshot.speech.gate.saved.audio.seconds", gatedAudioNanos, a -> a.sum() / 1e9)
                .description("Seconds of audio the speech gate kept from the recognizer: decoding saved").tags(tags)
                .register(registry);
        gauge(registry, "earshot.decode.realtime.factor",
                "Decoding time divided by audio time since start (below 1 keeps up with real time)", tags, this,
                PipelineMetrics::realtimeFactor);
    }

    public void decoded(long decodeTimeNanos, long audioTimeNanos) {
        decodeNanos.add(decodeTimeNanos);
        audioNanos.add(audioTimeNanos);
    }

    /** What a session's speech gate did since the last report: detector time, frames and audio kept back. */
    void gated(long detectorNanos, long frames, long audioNanos) {
        gateDetectorNanos.add(detectorNanos);
        gatedFrames.add(frames);
        gatedAudioNanos.add(audioNanos);
    }

    double realtimeFactor() {
        long audio = audioNanos.sum();
        return audio == 0 ? 0 : (double) decodeNanos.sum() / audio;
    }

    public static <T> void gauge(MeterRegistry registry, String name, String description, Tags tags, T target,
                          ToDoubleFunction<T> value) {
        Gauge.builder(name, target, value).description(description).tags(tags).strongReference(true).register(registry);
    }
}
