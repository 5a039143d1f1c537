package dev.earshot.plugins.vosk;

import dev.earshot.spi.engine.ModelInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class TestVoskModelFolder {

    @Test
    void theBundledModelDescribesItselfFromItsReadme() {
        ModelInfo info = VoskModelFolder.describe(SpeechSamples.modelFolder(), null);
        assertEquals("US English model for mobile Vosk applications", info.description());
        assertEquals("Alpha Cephei Inc", info.attribution());
        assertEquals(VoskModelFolder.MODELS_URL, info.attributionUrl());
        assertEquals(List.of("en"), info.languages());
    }

    @Test
    void theLanguageComesFromTheFolderNameUnlessTheOptionNamesThem(@TempDir Path dir) throws Exception {
        assertEquals(List.of("en"), VoskModelFolder.fromName("vosk-model-en-us-0.22"));
        assertEquals(List.of("de"), VoskModelFolder.fromName("vosk-model-small-de-0.15"));
        assertEquals(List.of("fr"), VoskModelFolder.fromName("fr"));
        assertEquals(List.of(), VoskModelFolder.fromName("my-best-model"));
        Path folder = Files.createDirectories(dir.resolve("vosk-model-small-de-0.15"));
        Files.writeString(folder.resolve("README"), "\nGerman model\n\nCopyright (c) 2021-2022 Someone Else\n");
        ModelInfo german = VoskModelFolder.describe(folder, null);
        assertEquals(List.of("de"), german.languages());
        assertEquals("German model", german.description());
        assertEquals("Someone Else", german.attribution());
        assertEquals(List.of("de-DE", "de-AT"), VoskModelFolder.describe(folder, "de-DE, de-AT").languages());
    }
}
