package dev.earshot.plugins.exec;

import dev.earshot.conformance.CaptureSourceContract;
import dev.earshot.conformance.PluginContract;
import dev.earshot.conformance.TestPluginContext;
import dev.earshot.conformance.TranscriptSinkContract;
import dev.earshot.spi.Plugin;
import dev.earshot.spi.sink.TranscriptSink;
import dev.earshot.spi.source.CaptureSource;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/** The exec plugin against the SPI contracts, with real programs. */
class ExecConformanceTest {

    @Nested
    class Entry extends PluginContract {
        @Override
        protected Class<? extends Plugin> pluginClass() {
            return ExecPlugin.class;
        }
    }

    @Nested
    class Sink extends TranscriptSinkContract {
        @TempDir
        Path home;

        @Override
        protected TranscriptSink createSink() {
            return new ExecSinkFactory().create(TestPluginContext.sink("out", Map.of("command", ExecSinkTest.PYTHON,
                    "args", ExecSinkTest.script("ack_sink.py"), "max-line", "1M"), home));
        }

        @Override
        protected TranscriptSink createSinkWithUnavailableReceiver() {
            // A program that reads everything and never answers.
            return new ExecSinkFactory().create(TestPluginContext.sink("out", Map.of("command", "/bin/sh",
                    "args", "-c cat>/dev/null", "ack-timeout", "20ms", "max-line", "1M"), home));
        }

        @Override
        protected Duration deliveryLimit() {
            return Duration.ofSeconds(5);
        }
    }

    @Nested
    class Source extends CaptureSourceContract {
        @TempDir
        Path home;

        @Override
        protected CaptureSource createSource() {
            // Endless raw silence: 16 kHz mono s16le.
            return new ExecSourceFactory().create(TestPluginContext.source("gen", Map.of("command", "/bin/cat",
                    "args", "/dev/zero", "format", "raw"), home));
        }
    }
}
