package dev.earshot.spi.engine;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelInfoTest {

    @Test
    void aModelSpeaksEveryRegionOfItsLanguagesAndNothingElse() {
        ModelInfo english = new ModelInfo("en-us", "", "Alpha Cephei Inc", "", "", List.of("en"));
        assertTrue(english.speaks("en"));
        assertTrue(english.speaks("en-GB"));
        assertTrue(english.speaks("EN_us"));
        assertFalse(english.speaks("de"));
        assertFalse(english.speaks("de-DE"));
        ModelInfo regional = new ModelInfo("m", "", "", "", "", List.of("pt-BR"));
        assertTrue(regional.speaks("pt"), "the primary subtag decides");
        assertTrue(new ModelInfo("any", "", "", "", "", List.of()).speaks("de"), "no languages listed: anything");
    }

    @Test
    void missingTextsAreEmptyAndTheLanguagesAreACopy() {
        List<String> languages = new ArrayList<>(List.of("en"));
        ModelInfo info = new ModelInfo("m", null, null, null, null, languages);
        languages.add("de");
        assertEquals(List.of("en"), info.languages());
        assertEquals("", info.description());
        assertEquals("", info.attribution());
        assertEquals("", info.attributionUrl());
        assertEquals("", info.version());
        assertThrows(NullPointerException.class, () -> new ModelInfo(null, "", "", "", "", List.of()));
        assertThrows(UnsupportedOperationException.class, () -> info.languages().add("fr"));
    }
}
