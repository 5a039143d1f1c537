package com.example.template;

import dev.earshot.conformance.PluginContract;
import dev.earshot.conformance.TestPluginContext;
import dev.earshot.spi.Plugin;
// begin source
import dev.earshot.conformance.CaptureSourceContract;
import dev.earshot.spi.source.CaptureSource;
// end source
// begin engine
import dev.earshot.conformance.SpeechEngineContract;
import dev.earshot.spi.engine.SpeechEngine;
// end engine
// begin sink
import dev.earshot.conformance.TranscriptSinkContract;
import dev.earshot.spi.sink.TranscriptSink;
// end sink
// begin hook
import dev.earshot.conformance.SessionHookContract;
import dev.earshot.spi.hook.SessionHook;
// end hook
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The plugin and what it provides against Earshot's SPI contracts (the conformance kit). Keep these and add tests of
 * your own for what your plugin does (what it writes, what it reports, how it refuses bad options).
 */
class TemplateConformanceTest {

    /** Five seconds of a 440 Hz tone as 16 kHz mono s16le. */
    static byte[] tone() {
        byte[] pcm = new byte[16_000 * 2 * 5];
        for (int i = 0; i < pcm.length / 2; i++) {
            short sample = (short) (8_000 * Math.sin(2 * Math.PI * 440 * i / 16_000.0));
            pcm[2 * i] = (byte) sample;
            pcm[2 * i + 1] = (byte) (sample >> 8);
        }
        return pcm;
    }

    @Nested
    class ThePlugin extends PluginContract {
        @Override
        protected Class<? extends Plugin> pluginClass() {
            return TemplatePlugin.class;
        }
    }
// begin source

    @Nested
    class TheSource extends CaptureSourceContract {
        @TempDir
        Path home;

        @Override
        protected CaptureSource createSource() throws Exception {
            Path audio = Files.write(home.resolve("tone.raw"), tone());
            return new TemplatePlugin().sourceFactories().iterator().next()
                    .create(TestPluginContext.source("template", Map.of("path", audio.toString()), home));
        }
    }
// end source
// begin engine

    @Nested
    class TheEngine extends SpeechEngineContract {
        @TempDir
        Path home;

        @Override
        protected SpeechEngine createEngine() throws Exception {
            return new TemplatePlugin().engineFactories().iterator().next()
                    .create(TestPluginContext.engine("template", Map.of(), home));
        }

        @Override
        protected byte[] speech() {
            return tone();
        }
    }
// end engine
// begin sink

    @Nested
    class TheSink extends TranscriptSinkContract {
        @TempDir
        Path home;

        @Override
        protected TranscriptSink createSink() throws Exception {
            return new TemplatePlugin().sinkFactories().iterator().next()
                    .create(TestPluginContext.sink("template", Map.of("path", "transcripts.txt"), home));
        }
    }
// end sink
// begin hook

    @Nested
    class TheHook extends SessionHookContract {
        @TempDir
        Path home;

        @Override
        protected SessionHook createHook() throws Exception {
            return new TemplatePlugin().sessionHookFactories().iterator().next()
                    .create(TestPluginContext.hook("template", Map.of(), home));
        }
    }
// end hook
}
