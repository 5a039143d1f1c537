package dev.earshot.json;

import dev.earshot.spi.transcript.Alternative;
import dev.earshot.spi.transcript.TranscriptEvent;
import dev.earshot.spi.transcript.Word;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JsonTest {

    @Test
    void readsObjectsWithEveryValueKindInDocumentOrder() throws Json.JsonException {
        Map<String, Object> value = Json.parseObject(
                " {\"b\": 1, \"a\": [2.5, \"x\\u00e9\\n\", true, false, null], \"c\": {\"d\": -3}} ");
        assertEquals(List.of("b", "a", "c"), List.copyOf(value.keySet()));
        assertEquals(1L, value.get("b"));
        assertEquals(List.of(2.5, "x\u00e9\n", true, false), ((List<?>) value.get("a")).subList(0, 4));
        assertEquals(Map.of("d", -3L), value.get("c"));
    }

    @Test
    void rejectsWhatIsNotOneStrictObjectSayingWhere() {
        assertEquals("not a JSON object", message("[1]"));
        assertTrue(message("{\"a\":1} x").contains("offset 8"), message("{\"a\":1} x"));
        assertTrue(message("{\"a\":1,}").contains("expected a key"), message("{\"a\":1,}"));
        assertTrue(message("{\"a\":\"\u0001\"}").contains("control character"));
        assertTrue(message("{\"a\":\"\\q\"}").contains("bad escape"));
        assertEquals("unexpected end", message("{\"a\":"));
        assertTrue(message("{\"a\":" + "[".repeat(100) + "]".repeat(100) + "}").contains("nested deeper than 64"));
    }

    @Test
    void writesWhatItReads() throws Json.JsonException {
        Map<String, Object> value = new LinkedHashMap<>();
        value.put("text", "say \"hi\"\\\t\u0002");
        value.put("n", 3L);
        value.put("list", List.of(1.5, true));
        value.put("none", null);
        StringBuilder out = new StringBuilder();
        Json.write(out, value);
        assertEquals("{\"text\":\"say \\\"hi\\\"\\\\\\t\\u0002\",\"n\":3,\"list\":[1.5,true],\"none\":null}",
                out.toString());
        assertEquals(value, Json.parseObject(out.toString()));
        assertThrows(IllegalArgumentException.class, () -> Json.write(new StringBuilder(), new Object()));
    }

    @Test
    void theCanonicalEventForm() {
        TranscriptEvent event = new TranscriptEvent("s1-4", TranscriptEvent.Type.FINAL, "default", "s1", 4,
                "go forward", List.of(new Word("go", 0.51, 0.72, 1)),
                List.of(new Alternative("go forward", Double.NaN, List.of())), 1.9,
                Instant.parse("2026-01-01T00:00:00Z"));
        assertEquals("{\"id\":\"s1-4\",\"type\":\"final\",\"pipeline\":\"default\",\"session\":\"s1\",\"sequence\":4,"
                + "\"text\":\"go forward\",\"result\":[{\"word\":\"go\",\"start\":0.51,\"end\":0.72,\"conf\":1.0}],"
                + "\"alternatives\":[{\"confidence\":null,\"text\":\"go forward\"}],\"audioEnd\":1.9,"
                + "\"timestamp\":\"2026-01-01T00:00:00Z\"}", TranscriptJson.toJson(event));
    }

    private static String message(String text) {
        return assertThrows(Json.JsonException.class, () -> Json.parseObject(text)).getMessage();
    }
}
