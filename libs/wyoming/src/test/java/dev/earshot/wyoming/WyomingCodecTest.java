package dev.earshot.wyoming;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WyomingCodecTest {

    private static WyomingDecoder decoder(int maxHeader, long maxMessage) {
        return new WyomingDecoder(maxHeader, maxMessage, "test.max-header", "test.max-message");
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    private static List<WyomingEvent> sample() {
        Map<String, Object> start = new LinkedHashMap<>();
        start.put("rate", 16000L);
        start.put("width", 2L);
        start.put("channels", 1L);
        Map<String, Object> transcript = new LinkedHashMap<>();
        transcript.put("text", "grüße \"aus\" dem\nnetz");
        transcript.put("nested", Map.of("list", List.of(1L, "two", true)));
        byte[] pcm = new byte[321];
        for (int i = 0; i < pcm.length; i++) {
            pcm[i] = (byte) (i * 7);
        }
        return List.of(WyomingEvent.of("describe", Map.of()), WyomingEvent.of("audio-start", start),
                new WyomingEvent("audio-chunk", start, pcm), WyomingEvent.of("transcript", transcript),
                WyomingEvent.of("audio-stop", Map.of()));
    }

    private static void assertSame(List<WyomingEvent> expected, List<WyomingEvent> actual) {
        assertEquals(expected.size(), actual.size(), actual.toString());
        for (int i = 0; i < expected.size(); i++) {
            assertEquals(expected.get(i).type(), actual.get(i).type());
            assertEquals(expected.get(i).data(), actual.get(i).data());
            assertArrayEquals(expected.get(i).payload(), actual.get(i).payload());
        }
    }

    @Test
    void theEncoderWritesTheHeaderLineThenDataThenPayload() {
        byte[] bytes = WyomingEncoder.encode(new WyomingEvent("audio-chunk", Map.of("rate", 16000L),
                new byte[] {1, 2, 3}));
        String expected = "{\"type\":\"audio-chunk\",\"version\":\"1.7.2\",\"data_length\":14,\"payload_length\":3}\n"
                + "{\"rate\":16000}";
        assertArrayEquals(concat(ascii(expected), new byte[] {1, 2, 3}), bytes);
        assertEquals("{\"type\":\"describe\",\"version\":\"1.7.2\"}\n",
                new String(WyomingEncoder.encode(WyomingEvent.of("describe", null)), StandardCharsets.UTF_8));
    }

    @Test
    void eventsRoundTripWhenSplitAtEveryByteBoundary() throws WyomingException {
        List<WyomingEvent> events = sample();
        ByteArrayOutputStream stream = new ByteArrayOutputStream();
        for (WyomingEvent event : events) {
            stream.writeBytes(WyomingEncoder.encode(event));
        }
        byte[] bytes = stream.toByteArray();
        for (int cut = 0; cut <= bytes.length; cut++) {
            WyomingDecoder decoder = decoder(1024, 4096);
            List<WyomingEvent> read = new ArrayList<>();
            decoder.feed(bytes, 0, cut);
            drain(decoder, read);
            decoder.feed(bytes, cut, bytes.length - cut);
            drain(decoder, read);
            assertSame(events, read);
            assertEquals(0, decoder.buffered());
        }
        WyomingDecoder single = decoder(1024, 4096);
        List<WyomingEvent> read = new ArrayList<>();
        for (byte b : bytes) {
            single.feed(new byte[] {b});
            drain(single, read);
        }
        assertSame(events, read);
    }

    private static void drain(WyomingDecoder decoder, List<WyomingEvent> into) throws WyomingException {
        WyomingEvent event;
        while ((event = decoder.next()) != null) {
            into.add(event);
        }
    }

    @Test
    void inlineDataAndDataBytesAreMerged() throws WyomingException {
        WyomingDecoder decoder = decoder(1024, 4096);
        decoder.feed(ascii("{\"type\":\"transcript\",\"data\":{\"a\":1,\"b\":2},\"data_length\":9}\n{\"b\":\"x\"}"));
        WyomingEvent event = decoder.next();
        assertEquals(Map.of("a", 1L, "b", "x"), event.data());
        assertEquals("x", event.text("b"));
        assertNull(event.payload());
    }

    @Test
    void blockingReadsKeepBytesReadPastAnEventAndEndCleanlyBetweenEvents() throws IOException {
        List<WyomingEvent> events = sample();
        ByteArrayOutputStream stream = new ByteArrayOutputStream();
        for (WyomingEvent event : events) {
            WyomingEncoder.write(stream, event);
        }
        WyomingDecoder decoder = decoder(1024, 4096);
        ByteArrayInputStream in = new ByteArrayInputStream(stream.toByteArray());
        List<WyomingEvent> read = new ArrayList<>();
        WyomingEvent event;
        while ((event = decoder.read(in)) != null) {
            read.add(event);
        }
        assertSame(events, read);

        byte[] cut = WyomingEncoder.encode(events.get(2));
        WyomingDecoder truncated = decoder(1024, 4096);
        assertThrows(EOFException.class, () -> truncated.read(new ByteArrayInputStream(cut, 0, cut.length - 1)));
    }

    private static WyomingException refused(WyomingDecoder decoder, String text) {
        decoder.feed(ascii(text));
        return assertThrows(WyomingException.class, () -> drain(decoder, new ArrayList<>()));
    }

    @Test
    void aHeaderLongerThanTheLimitIsRefusedBeforeItsNewlineArrives() {
        WyomingException e = refused(decoder(64, 4096), "{\"type\":\"" + "x".repeat(100));
        assertEquals("header-too-long", e.code());
        assertTrue(e.getMessage().contains("test.max-header"), e.getMessage());
        WyomingException whole = refused(decoder(32, 4096), "{\"type\":\"" + "x".repeat(30) + "\"}\n");
        assertEquals("header-too-long", whole.code());
        WyomingDecoder fits = decoder(32, 4096);
        fits.feed(ascii("{\"type\":\"" + "x".repeat(20) + "\"}\n"));
        assertEquals("x".repeat(20), assertDoesNotThrowNext(fits).type());
    }

    private static WyomingEvent assertDoesNotThrowNext(WyomingDecoder decoder) {
        try {
            return decoder.next();
        } catch (WyomingException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void lengthsAboveTheMessageLimitAreRefusedBeforeTheBytesArrive() {
        WyomingException data = refused(decoder(1024, 100), "{\"type\":\"t\",\"data_length\":1000000000000}\n");
        assertEquals("too-large", data.code());
        assertTrue(data.getMessage().contains("test.max-message")
                && data.getMessage().contains("\"data_length\" of 't' is 1000000000000 bytes"), data.getMessage());
        assertEquals("too-large", refused(decoder(1024, 100), "{\"type\":\"t\",\"payload_length\":101}\n").code());
        WyomingDecoder fits = decoder(1024, 100);
        fits.feed(ascii("{\"type\":\"t\",\"payload_length\":100}\n"));
        fits.feed(new byte[100]);
        assertEquals(100, assertDoesNotThrowNext(fits).payload().length);
    }

    @Test
    void brokenHeadersAndDataGetTypedErrors() {
        assertEquals("bad-json", refused(decoder(1024, 100), "hello\n").code());
        assertEquals("bad-json", refused(decoder(1024, 100), "[1,2]\n").code());
        assertEquals("bad-header", refused(decoder(1024, 100), "{\"data\":{}}\n").code());
        assertEquals("bad-header", refused(decoder(1024, 100), "{\"type\":\"\"}\n").code());
        assertEquals("bad-header", refused(decoder(1024, 100), "{\"type\":\"t\",\"data\":3}\n").code());
        assertEquals("bad-header", refused(decoder(1024, 100), "{\"type\":\"t\",\"version\":1}\n").code());
        assertEquals("bad-header", refused(decoder(1024, 100), "{\"type\":\"t\",\"data_length\":-1}\n").code());
        assertEquals("bad-header", refused(decoder(1024, 100), "{\"type\":\"t\",\"payload_length\":1.5}\n").code());
        WyomingException data = refused(decoder(1024, 100), "{\"type\":\"t\",\"data_length\":5}\nhello");
        assertEquals("bad-json", data.code());
        assertEquals("data is not a JSON object", data.getMessage());
    }
}
