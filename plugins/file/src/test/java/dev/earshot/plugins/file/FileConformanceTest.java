package dev.earshot.plugins.file;

import dev.earshot.conformance.CaptureSourceContract;
import dev.earshot.conformance.PluginContract;
import dev.earshot.conformance.TestPluginContext;
import dev.earshot.conformance.TranscriptSinkContract;
import dev.earshot.spi.sink.TranscriptSink;
import dev.earshot.spi.source.CaptureSource;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

/** The file plugin's source and JSON Lines sink against the SPI contracts of the conformance kit. */
class FileConformanceTest {

    /** A real LibriVox clip (7 s), read in 20 ms frames: long enough to be cut by close. */
    static final String CLIP = "/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0870.wav";

    @Nested
    class Plugin extends PluginContract {
        @Override
        protected Class<? extends dev.earshot.spi.Plugin> pluginClass() {
            return FilePlugin.class;
        }
    }

    @Nested
    class Source extends CaptureSourceContract {
        @TempDir
        Path home;

        @Override
        protected CaptureSource createSource() throws Exception {
            return new FileSourceFactory().create(TestPluginContext.source("clip", Map.of("path", CLIP, "frame", "20ms"), home));
        }
    }

    @Nested
    class JsonLines extends TranscriptSinkContract {
        @TempDir
        Path home;

        @Override
        protected TranscriptSink createSink() throws Exception {
            return new JsonLinesSinkFactory().create(TestPluginContext.sink("transcripts", Map.of("path", "out/t.jsonl"), home));
        }
    }
}
