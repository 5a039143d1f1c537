package dev.earshot.gateway.pipeline;

import dev.earshot.gateway.delivery.TranscriptBus;
import dev.earshot.gateway.plugin.PluginCalls;
import dev.earshot.gateway.session.DecodeAdmission;
import dev.earshot.gateway.session.DecodeScheduler;
import dev.earshot.gateway.settings.ComponentSpec;
import dev.earshot.gateway.speech.SpeechGates;
import dev.earshot.spi.source.CaptureSource;
import io.vertx.core.Context;

/**
 * What a {@link Pipeline} needs from the runtime that created it: session ids and home contexts, the shared decode
 * threads, time-limited plugin calls, the transcript bus, and the components it binds before starting. The runtime
 * implements it; the pipeline never sees the runtime itself.
 */
public interface PipelineHost {

    String newSessionId();

    /** A Vert.x context to be the home of a session that brought none (a capture source's). */
    Context nextContext();

    DecodeScheduler scheduler();

    /** Admission of new live sessions by measured decode load, shared by every pipeline. */
    DecodeAdmission admission();

    PluginCalls hooks();

    TranscriptBus bus();

    /** Binds the pipeline to its plan, engine, sinks and hooks before it starts. */
    void prepare(Pipeline pipeline);

    CaptureSource createSource(ComponentSpec spec);

    /** The speech gates of every pipeline's sessions (one shared detector). */
    SpeechGates speechGates();
}
