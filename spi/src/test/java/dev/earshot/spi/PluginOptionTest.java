package dev.earshot.spi;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PluginOptionTest {

    private static final List<PluginOption> OPTIONS = List.of(
            PluginOption.string("url", null, "The broker.").asRequired(),
            PluginOption.integer("qos", 1, "Quality of service, 0 to 2."),
            PluginOption.bool("partials", true, "Publish partials."),
            PluginOption.duration("timeout", "10s", "How long to wait."),
            PluginOption.size("max-bytes", "10M", "Rotate after this size."),
            PluginOption.choice("format", "auto", List.of("auto", "wav", "raw"), "The file format."),
            PluginOption.string("token", null, "The access token.").asSecret(),
            PluginOption.map("headers", "Extra headers.").asSecret());

    private static PluginConfig config(Map<String, String> values) {
        return new PluginConfig("earshot.sinks.alerts", values, OPTIONS);
    }

    @Test
    void settingsOfTheDeclaredTypesPass() {
        PluginConfig config = config(Map.of("url", "mqtt://127.0.0.1", "qos", "2", "partials", "off", "timeout", "250ms",
                "max-bytes", "64K", "format", "WAV", "token", "t0k", "headers.Authorization", "Bearer x"));
        assertEquals(List.of(), config.problems());
    }

    @Test
    void aValueOfTheWrongTypeNamesTheFullKeyAndTheDeclaredType() {
        PluginConfig config = config(Map.of("url", "mqtt://127.0.0.1", "qos", "high", "timeout", "soon",
                "max-bytes", "-1", "format", "mp3", "partials", "maybe"));
        assertEquals(List.of(
                "earshot.sinks.alerts.format: 'mp3' is not valid; expected one of auto, wav, raw (option 'format' is declared as choice)",
                "earshot.sinks.alerts.max-bytes: '-1' is not valid; expected a positive size such as 512, 64K, 10M or 1G (option 'max-bytes' is declared as size)",
                "earshot.sinks.alerts.partials: 'maybe' is not valid; expected true or false (option 'partials' is declared as boolean)",
                "earshot.sinks.alerts.qos: 'high' is not valid; expected a whole number (option 'qos' is declared as integer)",
                "earshot.sinks.alerts.timeout: 'soon' is not valid; expected a duration such as 250ms, 5s, 2m or PT1S (option 'timeout' is declared as duration)"),
                config.problems());
    }

    @Test
    void aMissingRequiredOptionIsReportedWithItsDescription() {
        assertEquals(List.of("earshot.sinks.alerts.url is required: The broker."), config(Map.of()).problems());
        assertEquals(List.of("earshot.sinks.alerts.url is required: The broker."), config(Map.of("url", " ")).problems());
    }

    @Test
    void anUnknownKeyGetsTheClosestDeclaredName() {
        assertEquals(List.of("earshot.sinks.alerts.qso: unknown option; did you mean earshot.sinks.alerts.qos?"),
                config(Map.of("url", "x", "qso", "1")).problems());
        assertEquals(List.of("earshot.sinks.alerts.header.X-Key: unknown option; did you mean earshot.sinks.alerts.headers.<key>?"),
                config(Map.of("url", "x", "header.X-Key", "1")).problems());
        String far = config(Map.of("url", "x", "completely-different", "1")).problems().get(0);
        assertEquals("earshot.sinks.alerts.completely-different: unknown option; the options are format, headers.<key>,"
                + " max-bytes, partials, qos, timeout, token, url", far);
    }

    @Test
    void secretValuesAppearInNoMessageAndNoRedactedView() {
        PluginConfig config = config(Map.of("url", "x", "token", "s3cr3t", "headers.Authorization", "Bearer s3cr3t"));
        String message = config.invalid("token", "s3cr3t", "a token of 32 characters").getMessage();
        assertFalse(message.contains("s3cr3t"), message);
        assertTrue(message.startsWith("earshot.sinks.alerts.token: "), message);
        assertEquals(Map.of("url", "x", "token", "****", "headers.Authorization", "****"), config.redacted());
        assertFalse(config.toString().contains("s3cr3t"), config.toString());
        PluginOption secretChoice = new PluginOption("mode", PluginOption.Type.CHOICE, null, false, true,
                List.of("a", "b"), "A secret choice.");
        PluginConfig choice = new PluginConfig("earshot.sinks.x", Map.of("mode", "hunter2"), List.of(secretChoice));
        assertFalse(String.join("\n", choice.problems()).contains("hunter2"), choice.problems().toString());
    }

    @Test
    void undeclaredReadsListWhatTheFactoryReadWithoutDeclaring() {
        PluginConfig config = config(Map.of("url", "x"));
        config.getInt("qos", 1, 0, 2);
        config.getString("device", "pi");
        config.get("headers.X-Key");
        assertEquals(Set.of("device"), config.undeclaredReads());
        assertEquals(Set.of(), new PluginConfig("p", Map.of()).undeclaredReads(), "nothing is undeclared without declarations");
    }

    @Test
    void withoutDeclarationsNothingIsChecked() {
        assertEquals(List.of(), new PluginConfig("earshot.sinks.x", Map.of("anything", "goes")).problems());
    }

    @Test
    void aDeclarationIsCheckedItself() {
        assertThrows(IllegalArgumentException.class, () -> PluginOption.duration("timeout", "ten seconds", "x"));
        assertThrows(IllegalArgumentException.class, () -> PluginOption.size("max", "0", "x"));
        assertThrows(IllegalArgumentException.class, () -> PluginOption.choice("format", "mp3", List.of("wav"), "x"));
        assertThrows(IllegalArgumentException.class, () -> PluginOption.choice("format", null, List.of(), "x"));
        assertThrows(IllegalArgumentException.class, () -> new PluginOption("qos", PluginOption.Type.INTEGER, "1",
                true, false, List.of(), "a required option has no default"));
        assertThrows(IllegalArgumentException.class, () -> PluginOption.string("bad name", null, "x"));
        assertThrows(IllegalArgumentException.class, () -> new PluginConfig("p", Map.of(),
                List.of(PluginOption.bool("a", true, "x"), PluginOption.bool("a", false, "y"))));
        PluginOption required = PluginOption.string("path", "default.txt", "x").asRequired();
        assertTrue(required.required());
        assertEquals(null, required.defaultValue());
    }

    @Test
    void getterErrorsAreUnchanged() {
        PluginConfig config = new PluginConfig("earshot.sinks.x", Map.of("size", "lots", "flag", "maybe"));
        assertEquals("earshot.sinks.x.size: 'lots' is not valid; expected a positive size such as 512, 64K, 10M or 1G",
                assertThrows(PluginException.class, () -> config.getBytes("size", 1)).getMessage());
        assertEquals("earshot.sinks.x.flag: 'maybe' is not valid; expected true or false",
                assertThrows(PluginException.class, () -> config.getBoolean("flag", true)).getMessage());
        assertEquals(64 * 1024, new PluginConfig("p", Map.of("s", "64KB")).getBytes("s", 1));
    }
}
