package dev.earshot.plugins.vosk;

import dev.earshot.conformance.TestPluginContext;
import dev.earshot.spi.PluginException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Configuration mistakes give errors that name the key, the value and the fix. */
class TestVoskEngineErrors {

    private static final String MODEL_KEY = "earshot.engines.vosk.model";
    private static final String MODEL_HINT = "a folder with am/, conf/, graph/";

    @TempDir
    Path folder;

    private PluginException createFails(Map<String, String> settings) {
        return assertThrows(PluginException.class,
                () -> new VoskEngineFactory().create(TestPluginContext.engine("vosk", settings, folder)).close());
    }

    private static void assertMentions(String message, String... parts) {
        for (String part : parts) {
            assertTrue(message.contains(part), "\"" + part + "\" missing from: " + message);
        }
    }

    @Test
    void missingModelFolder() {
        Path missing = folder.resolve("no-such-model");
        PluginException error = createFails(Map.of("model", missing.toString()));
        assertMentions(error.getMessage(), MODEL_KEY + ": folder " + missing + " does not exist", MODEL_HINT);
    }

    @Test
    void missingDefaultModelIsResolvedAgainstTheHome() {
        PluginException error = createFails(Map.of());
        assertMentions(error.getMessage(), MODEL_KEY, folder.resolve("model/en-us").toString(), "does not exist");
    }

    @Test
    void folderThatIsNotAModel() throws Exception {
        Path notModel = Files.createDirectories(folder.resolve("photos"));
        Files.writeString(notModel.resolve("cat.jpg"), "meow");
        PluginException error = createFails(Map.of("model", notModel.toString()));
        assertMentions(error.getMessage(), MODEL_KEY + ": folder " + notModel + " is not a Vosk model",
                "am/final.mdl", MODEL_HINT);
    }

    @Test
    void modelOneFolderDownIsPointedOut() throws Exception {
        Path outer = Files.createDirectories(folder.resolve("models"));
        Path inner = Files.createDirectories(outer.resolve("vosk-model-small-en-us-0.15/am"));
        Files.writeString(inner.resolve("final.mdl"), "");
        PluginException error = createFails(Map.of("model", outer.toString()));
        assertMentions(error.getMessage(), "is not a Vosk model", "vosk-model-small-en-us-0.15: point " + MODEL_KEY);
    }

    @Test
    void fileInsteadOfFolder() throws Exception {
        Path zip = Files.writeString(folder.resolve("vosk-model-small-en-us-0.15.zip"), "PK");
        PluginException error = createFails(Map.of("model", zip.toString()));
        assertMentions(error.getMessage(), MODEL_KEY + ": " + zip + " is a file, not a folder", "unpack");
    }

    @Test
    void modelThatFailsToLoad() throws Exception {
        Path broken = Files.createDirectories(folder.resolve("broken/am"));
        Files.writeString(broken.resolve("final.mdl"), "not a model");
        PluginException error = createFails(Map.of("model", broken.getParent().toString(), "log-level", "-3"));
        assertMentions(error.getMessage(), MODEL_KEY + ": cannot load the Vosk model in " + broken.getParent(),
                "Failed to create a model", MODEL_HINT);
    }

    @Test
    void badNumbers() {
        String model = SpeechSamples.modelFolder().toString();
        assertMentions(createFails(Map.of("model", model, "sample-rate", "16k")).getMessage(),
                "earshot.engines.vosk.sample-rate: '16k' is not valid", "4000 to 192000");
        assertMentions(createFails(Map.of("model", model, "log-level", "loud")).getMessage(),
                "earshot.engines.vosk.log-level: 'loud' is not valid", "-3 to 10");
    }

    @Test
    void libraryPathMistakes() throws Exception {
        String model = SpeechSamples.modelFolder().toString();
        String key = "earshot.engines.vosk.library-path";
        Path missing = folder.resolve("no-lib");
        assertMentions(createFails(Map.of("model", model, "library-path", missing.toString())).getMessage(),
                key + ": " + missing + " does not exist", "libvosk.so");

        Path empty = Files.createDirectories(folder.resolve("lib"));
        assertMentions(createFails(Map.of("model", model, "library-path", empty.toString())).getMessage(),
                key + ": folder " + empty + " holds no libvosk.so");

        Path wrongFile = Files.writeString(empty.resolve("libkaldi.so"), "");
        assertMentions(createFails(Map.of("model", model, "library-path", wrongFile.toString())).getMessage(),
                key + ": file " + wrongFile + " is not libvosk.so");
    }
}
