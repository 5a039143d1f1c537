package dev.earshot.gateway.protocol.wyomingserver;

import dev.earshot.json.Json;
import dev.earshot.wyoming.WyomingDecoder;
import dev.earshot.wyoming.WyomingEncoder;
import dev.earshot.wyoming.WyomingEvent;
import dev.earshot.wyoming.WyomingException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;

/**
 * The Wyoming server's side of the shared codec ({@link WyomingDecoder}, {@link WyomingEncoder} in
 * {@code libs/wyoming}): feeds it Vert.x buffers and hands events on with their data as a {@link JsonObject}.
 * The limits and the error codes are the codec's. Not thread-safe: one connection's event loop uses it.
 */
final class WyomingReader {

    /** One event as read. {@code payload} is null when there is none. */
    record Event(String type, JsonObject data, Buffer payload) {
    }

    /** The stream breaks the protocol; {@code code} names the problem for the {@code error} event. */
    static final class ProtocolException extends Exception {
        private final String code;

        ProtocolException(String code, String message) {
            super(message, null, false, false);
            this.code = code;
        }

        String code() {
            return code;
        }
    }

    static final String PROTOCOL_VERSION = WyomingEncoder.VERSION;

    private final WyomingDecoder decoder;

    WyomingReader(int maxHeaderBytes, long maxMessageBytes) {
        this.decoder = new WyomingDecoder(maxHeaderBytes, maxMessageBytes, "earshot.ingest.wyoming.max-header-size",
                "earshot.ingest.wyoming.max-message-size");
    }

    void append(Buffer bytes) {
        decoder.feed(bytes.getBytes());
    }

    /** Bytes received and not yet consumed. */
    int buffered() {
        return decoder.buffered();
    }

    /** The next complete event, or null when more bytes are needed. */
    Event next() throws ProtocolException {
        WyomingEvent event;
        try {
            event = decoder.next();
        } catch (WyomingException e) {
            throw new ProtocolException(e.code(), e.getMessage());
        }
        if (event == null) {
            return null;
        }
        return new Event(event.type(), new JsonObject(event.data()),
                event.payload() == null ? null : Buffer.buffer(event.payload()));
    }

    /** One event as the reference implementation writes it: header line, data bytes, payload. */
    static Buffer encode(String type, JsonObject data, Buffer payload) {
        byte[] bytes = payload == null ? null : payload.getBytes();
        return Buffer.buffer(WyomingEncoder.encode(type, data == null ? null : plain(data), bytes, 0,
                bytes == null ? 0 : bytes.length));
    }

    /** The data as plain maps and lists, as the codec writes them. */
    private static java.util.Map<String, Object> plain(JsonObject data) {
        try {
            return Json.parseObject(data.encode());
        } catch (Json.JsonException e) {
            throw new IllegalArgumentException("event data is not JSON: " + e.getMessage(), e);
        }
    }

    static int integer(JsonObject data, String key, int min, int max) throws WyomingReader.ProtocolException {
        Object value = data.getValue(key);
        if (!(value instanceof Number number) || number.doubleValue() != Math.rint(number.doubleValue())
                || number.doubleValue() < min || number.doubleValue() > max) {
            throw new WyomingReader.ProtocolException("bad-data", "\"" + key + "\" must be an integer from " + min
                    + " to " + max + (value == null ? " (missing)" : ", got " + printable(String.valueOf(value))));
        }
        return number.intValue();
    }

    static String printable(String text) {
        return WyomingDecoder.printable(text);
    }
}
