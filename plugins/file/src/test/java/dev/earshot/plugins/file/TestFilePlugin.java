package dev.earshot.plugins.file;

import dev.earshot.conformance.TestPluginContext;
import dev.earshot.spi.Plugin;
import dev.earshot.spi.sink.TranscriptSink;
import dev.earshot.spi.sink.TranscriptSinkFactory;
import dev.earshot.spi.source.CaptureSource;
import dev.earshot.spi.source.CaptureSourceFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.stream.StreamSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The plugin as the host finds it: through the service loader, by factory names. */
class TestFilePlugin {

    @TempDir
    Path home;

    @Test
    void providesTheFileSourceAndTheJsonlAndLogSinks() throws Exception {
        List<Plugin> plugins = ServiceLoader.load(Plugin.class).stream().map(ServiceLoader.Provider::get)
                .filter(plugin -> plugin.name().equals("file")).toList();
        assertEquals(1, plugins.size());
        Plugin plugin = plugins.get(0);
        assertNotNull(plugin.version());
        assertFalse(plugin.engineFactories().iterator().hasNext());
        assertFalse(plugin.sessionHookFactories().iterator().hasNext());
        assertEquals(List.of("file"), names(plugin.sourceFactories(), CaptureSourceFactory::name));
        assertEquals(List.of("jsonl", "log"), names(plugin.sinkFactories(), TranscriptSinkFactory::name));

        Path audio = Path.of("/usr/share/pocketsphinx/test/data/goforward.raw");
        TestPluginContext sourceContext = TestPluginContext.source("from-file", Map.of("path", audio.toString()), home);
        try (CaptureSource source = sourceFactory(plugin, "file").create(sourceContext)) {
            assertTrue(sourceContext.config().unreadKeys().isEmpty());
        }

        TestPluginContext jsonlContext = TestPluginContext.sink("to-file", Map.of("path", "out/t.jsonl"), home);
        try (TranscriptSink sink = sinkFactory(plugin, "jsonl").create(jsonlContext)) {
            assertFalse(sink.acceptsPartials());
            assertTrue(Files.exists(home.resolve("out/t.jsonl")));
        }

        TestPluginContext logContext = TestPluginContext.sink("to-log", Map.of("partials", "yes"), home);
        try (TranscriptSink sink = sinkFactory(plugin, "log").create(logContext)) {
            assertTrue(sink.acceptsPartials());
        }
        plugin.start(TestPluginContext.plugin("file", Map.of(), home));
        plugin.stop();
    }

    private static CaptureSourceFactory sourceFactory(Plugin plugin, String name) {
        return StreamSupport.stream(plugin.sourceFactories().spliterator(), false)
                .filter(factory -> factory.name().equals(name)).findFirst().orElseThrow();
    }

    private static TranscriptSinkFactory sinkFactory(Plugin plugin, String name) {
        return StreamSupport.stream(plugin.sinkFactories().spliterator(), false)
                .filter(factory -> factory.name().equals(name)).findFirst().orElseThrow();
    }

    private static <T> List<String> names(Iterable<T> factories, java.util.function.Function<T, String> name) {
        return StreamSupport.stream(factories.spliterator(), false).map(name).toList();
    }
}
