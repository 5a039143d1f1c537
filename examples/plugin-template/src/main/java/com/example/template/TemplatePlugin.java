package com.example.template;

import dev.earshot.spi.Plugin;
import dev.earshot.spi.PluginContext;
// begin source
import dev.earshot.spi.source.CaptureSource;
import dev.earshot.spi.source.CaptureSourceFactory;
// end source
// begin engine
import dev.earshot.spi.engine.SpeechEngine;
import dev.earshot.spi.engine.SpeechEngineFactory;
// end engine
// begin sink
import dev.earshot.spi.sink.TranscriptSink;
import dev.earshot.spi.sink.TranscriptSinkFactory;
// end sink
// begin hook
import dev.earshot.spi.hook.SessionHook;
import dev.earshot.spi.hook.SessionHookFactory;
// end hook

import java.util.List;

/**
 * The plugin: its name (also in {@code earshot-plugin.properties}) and the factories of the types it provides, each
 * named {@code template} in configuration ({@code earshot.<sources|engines|sinks|hooks>.<id>.type=template}).
 * Read every option in {@code create(...)}: a key nobody reads is reported as misspelled.
 */
public final class TemplatePlugin implements Plugin {

    @Override
    public String name() {
        return "template";
    }
// begin source

    @Override
    public Iterable<CaptureSourceFactory> sourceFactories() {
        return List.of(new CaptureSourceFactory() {
            @Override
            public String name() {
                return "template";
            }

            @Override
            public CaptureSource create(PluginContext context) {
                return new TemplateSource(context.instanceName(),
                        context.resolvePath(context.config().require("path", "a file of raw 16 kHz mono s16le audio")));
            }
        });
    }
// end source
// begin engine

    @Override
    public Iterable<SpeechEngineFactory> engineFactories() {
        return List.of(new SpeechEngineFactory() {
            @Override
            public String name() {
                return "template";
            }

            @Override
            public SpeechEngine create(PluginContext context) {
                return new TemplateEngine(context.config().getString("word", "audio"));
            }
        });
    }
// end engine
// begin sink

    @Override
    public Iterable<TranscriptSinkFactory> sinkFactories() {
        return List.of(new TranscriptSinkFactory() {
            @Override
            public String name() {
                return "template";
            }

            @Override
            public TranscriptSink create(PluginContext context) {
                return new TemplateSink(context.config().get("path").map(context::resolvePath)
                        .orElseGet(() -> context.dataDirectory().resolve("transcripts.txt")));
            }
        });
    }
// end sink
// begin hook

    @Override
    public Iterable<SessionHookFactory> sessionHookFactories() {
        return List.of(new SessionHookFactory() {
            @Override
            public String name() {
                return "template";
            }

            @Override
            public SessionHook create(PluginContext context) {
                return new TemplateHook(context.instanceName(), context.logger());
            }
        });
    }
// end hook
}
