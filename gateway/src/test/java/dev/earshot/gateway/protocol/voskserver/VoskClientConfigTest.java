package dev.earshot.gateway.protocol.voskserver;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The config message read as vosk-server reads it. */
class VoskClientConfigTest {

    private static VoskClientConfig apply(String json) throws VoskClientConfig.InvalidConfig {
        return VoskClientConfig.defaults(8000).with(new JsonObject(json));
    }

    @Test
    void numbersMayComeAsStringsAndFlagsAsWords() throws Exception {
        VoskClientConfig config = apply("{\"sample_rate\": \"16000\", \"max_alternatives\": \"2\", \"words\": \"true\"}");
        assertEquals(16000, config.sampleRate());
        assertEquals(2, config.maxAlternatives());
        assertTrue(config.words());
        assertEquals(44100, apply("{\"sample_rate\": 44100.0}").sampleRate());
        assertEquals(16000, apply("{\"sample_rate\": \" 16000.0 \"}").sampleRate());
        assertTrue(apply("{\"words\": 1}").words());
        assertFalse(apply("{\"words\": \"false\"}").words());
        assertTrue(VoskClientConfig.defaults(8000).words(), "vosk-server shows words by default");
    }

    @Test
    void withoutAConfigTheDefaultRateHoldsAndUnknownKeysAreIgnored() throws Exception {
        assertEquals(8000, VoskClientConfig.defaults(8000).sampleRate());
        VoskClientConfig config = apply("{\"nbest\": 3, \"something_new\": {\"a\": 1}}");
        assertEquals(VoskClientConfig.defaults(8000), config);
    }

    @Test
    void theModelKeyIsKeptForTheSessionToChooseItsPipeline() throws Exception {
        assertEquals("kitchen", apply("{\"model\": \" kitchen \"}").model());
        assertNull(apply("{\"model\": \"\"}").model());
        assertNull(apply("{}").model());
    }

    @Test
    void whatCannotBeTakenNamesTheKeyAndWhatItMustBe() {
        assertEquals("config.sample_rate must be a number from 4000 to 192000, such as 16000 (got \"fast\")",
                assertThrows(VoskClientConfig.InvalidConfig.class, () -> apply("{\"sample_rate\": \"fast\"}")).getMessage());
        assertTrue(assertThrows(VoskClientConfig.InvalidConfig.class, () -> apply("{\"sample_rate\": 100}"))
                .getMessage().startsWith("config.sample_rate must be a number from"));
        assertTrue(assertThrows(VoskClientConfig.InvalidConfig.class, () -> apply("{\"max_alternatives\": 2.5}"))
                .getMessage().startsWith("config.max_alternatives must be an integer from 0 to 100"));
        assertTrue(assertThrows(VoskClientConfig.InvalidConfig.class, () -> apply("{\"words\": \"maybe\"}"))
                .getMessage().startsWith("config.words must be true or false"));
        assertTrue(assertThrows(VoskClientConfig.InvalidConfig.class, () -> apply("{\"phrase_list\": [\"a\", 1]}"))
                .getMessage().startsWith("config.phrase_list must be an array of strings"));
        assertTrue(assertThrows(VoskClientConfig.InvalidConfig.class, () -> apply("{\"model\": 5}"))
                .getMessage().startsWith("config.model must be a string"));
        assertEquals(List.of("yes", "no"), assertDoesNotThrow("{\"phrase_list\": [\"yes\", \"no\"]}").phrases());
    }

    private static VoskClientConfig assertDoesNotThrow(String json) {
        try {
            return apply(json);
        } catch (VoskClientConfig.InvalidConfig e) {
            throw new AssertionError(e.getMessage(), e);
        }
    }
}
