package dev.earshot.plugins.vosk;

import dev.earshot.conformance.TestPluginContext;
import dev.earshot.spi.Plugin;
import dev.earshot.spi.audio.AudioFormat;
import dev.earshot.spi.engine.Recognizer;
import dev.earshot.spi.engine.SpeechEngine;
import dev.earshot.spi.engine.SpeechEngineFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.stream.StreamSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TestVoskPlugin {

    @TempDir
    Path folder;

    private static VoskPlugin loadPlugin() {
        List<Plugin> plugins = ServiceLoader.load(Plugin.class).stream().map(ServiceLoader.Provider::get)
                .filter(plugin -> plugin.name().equals("vosk")).toList();
        assertEquals(1, plugins.size(), "exactly one plugin named vosk");
        return assertInstanceOf(VoskPlugin.class, plugins.get(0));
    }

    private static SpeechEngineFactory engineFactory(Plugin plugin) {
        List<SpeechEngineFactory> factories = StreamSupport.stream(plugin.engineFactories().spliterator(), false)
                .toList();
        assertEquals(List.of("vosk"), factories.stream().map(SpeechEngineFactory::name).toList());
        return factories.get(0);
    }

    @Test
    void loadsThroughServiceLoaderAndCreatesEngineAndRecognizer() throws Exception {
        VoskPlugin plugin = loadPlugin();
        assertEquals(List.of(), StreamSupport.stream(plugin.sourceFactories().spliterator(), false).toList());
        assertEquals(List.of(), StreamSupport.stream(plugin.sinkFactories().spliterator(), false).toList());
        TestPluginContext context = TestPluginContext.engine("vosk", Map.of("model", SpeechSamples.modelFolder().toString()), folder);

        long started = System.nanoTime();
        SpeechEngine engine = engineFactory(plugin).create(context);
        System.out.printf("vosk: model %s loaded in %d ms%n", SpeechSamples.modelFolder(),
                (System.nanoTime() - started) / 1_000_000);
        VoskEngine vosk = assertInstanceOf(VoskEngine.class, engine);
        assertEquals(AudioFormat.SPEECH_16K, engine.inputFormat());
        assertEquals(Set.of(), context.config().unreadKeys());

        Collector collector = new Collector();
        Recognizer recognizer = engine.createRecognizer(SpeechSamples.defaults(), collector);
        assertEquals(1, vosk.openRecognizers());
        SpeechSamples.decode(recognizer, SpeechSamples.goForward());
        assertEquals(SpeechSamples.GO_FORWARD_TEXT, collector.text());
        recognizer.close();
        assertEquals(0, vosk.openRecognizers());
        engine.close();
        engine.close();
        IllegalStateException closed = assertThrows(IllegalStateException.class,
                () -> engine.createRecognizer(SpeechSamples.defaults(), collector));
        assertTrue(closed.getMessage().contains("closed"), closed.getMessage());
        plugin.stop();
    }

    /** The build unpacks the model into target/model/en-us: target/ is a gateway home with the bundled model. */
    private TestPluginContext contextWithHomeAtTarget(Map<String, String> settings) {
        Path home = SpeechSamples.modelFolder().getParent().getParent();
        return TestPluginContext.engine("vosk", settings, home);
    }

    @Test
    void readsEveryOption() throws Exception {
        TestPluginContext context = contextWithHomeAtTarget(Map.of(
                "model", "model/../model/en-us", // relative: resolved against the gateway home
                "sample-rate", "8000",
                "log-level", "-2")).withOptions(new VoskEngineFactory().options());
        try (VoskEngine engine = new VoskEngineFactory().create(context)) {
            assertEquals(Set.of(), context.config().unreadKeys());
            assertEquals(Set.of(), context.config().undeclaredReads(), "every option read is declared");
            assertEquals(new AudioFormat(8000, 1), engine.inputFormat());
            assertEquals(SpeechSamples.modelFolder(), engine.modelFolder());
        }
    }

    @Test
    void defaultModelIsTheBundledOneUnderTheHome() throws Exception {
        try (VoskEngine engine = new VoskEngineFactory().create(contextWithHomeAtTarget(Map.of()))) {
            assertEquals(SpeechSamples.modelFolder(), engine.modelFolder());
            assertEquals(AudioFormat.SPEECH_16K, engine.inputFormat());
        }
    }
}
