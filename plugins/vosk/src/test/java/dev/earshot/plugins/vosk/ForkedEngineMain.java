package dev.earshot.plugins.vosk;

import dev.earshot.conformance.TestPluginContext;
import dev.earshot.spi.PluginException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Runs in a JVM of its own (see {@link TestVoskNativeLoading}), because libvosk can be loaded, or fail to load,
 * only once per process. Arguments: model folder, raw 16 kHz speech file, library path or "-". Creates the engine
 * twice and prints, per attempt, {@code TEXT:<final text>} or {@code ERROR:<PluginException message>}.
 */
public final class ForkedEngineMain {

    private ForkedEngineMain() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> settings = new HashMap<>();
        settings.put("model", args[0]);
        if (!args[2].equals("-")) {
            settings.put("library-path", args[2]);
        }
        byte[] pcm = Files.readAllBytes(Path.of(args[1]));
        Path home = Files.createTempDirectory("earshot-vosk-fork");
        for (int attempt = 0; attempt < 2; attempt++) {
            try (VoskEngine engine = new VoskEngineFactory().create(TestPluginContext.engine("vosk", settings, home))) {
                Collector collector = new Collector();
                try (VoskRecognizer recognizer = engine.createRecognizer(SpeechSamples.defaults(), collector)) {
                    SpeechSamples.decode(recognizer, pcm);
                }
                System.out.println("TEXT:" + collector.text());
            } catch (PluginException e) {
                System.out.println("ERROR:" + e.getMessage());
            }
        }
        Files.deleteIfExists(home.resolve("data"));
        Files.deleteIfExists(home);
    }
}
