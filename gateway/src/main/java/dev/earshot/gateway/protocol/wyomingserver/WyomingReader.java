package dev.earshot.gateway.protocol.wyomingserver;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;

/**
 * Splits a Wyoming byte stream into events (and {@link #encode encodes} them): a JSON header line
 * {@code {"type", "data"?, "data_length"?, "payload_length"?, "version"?}}, then {@code data_length} bytes of JSON
 * merged into {@code data}, then {@code payload_length} bytes of payload.
 *
 * <p>Bounded: a header line longer than {@code maxHeaderBytes} and a length above {@code maxMessageBytes} are
 * refused before anything is allocated for them, so buffered bytes never exceed those limits plus one read.
 * Not thread-safe: one connection's event loop uses it.
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

    static final String PROTOCOL_VERSION = "1.7.2";

    private final int maxHeaderBytes;
    private final long maxMessageBytes;
    private Buffer buffer = Buffer.buffer();
    private int position;
    /** Where to go on looking for the header's newline. */
    private int scanned;
    // The header read, while its data and payload are awaited.
    private JsonObject header;
    private int dataLength;
    private int payloadLength;

    WyomingReader(int maxHeaderBytes, long maxMessageBytes) {
        this.maxHeaderBytes = maxHeaderBytes;
        this.maxMessageBytes = maxMessageBytes;
    }

    void append(Buffer bytes) {
        if (position > 0 && position == buffer.length()) {
            buffer = Buffer.buffer();
            scanned -= position;
            position = 0;
        } else if (position > 65_536) {
            buffer = buffer.getBuffer(position, buffer.length());
            scanned -= position;
            position = 0;
        }
        buffer.appendBuffer(bytes);
    }

    /** Bytes received and not yet consumed. */
    int buffered() {
        return buffer.length() - position;
    }

    /** The next complete event, or null when more bytes are needed. */
    Event next() throws ProtocolException {
        if (header == null && !readHeader()) {
            return null;
        }
        if (buffer.length() - position < (long) dataLength + payloadLength) {
            return null;
        }
        JsonObject data = header.getJsonObject("data");
        data = data == null ? new JsonObject() : data.copy();
        if (dataLength > 0) {
            JsonObject extra = parseObject(buffer.getString(position, position + dataLength, "UTF-8"), "data");
            data.mergeIn(extra);
            position += dataLength;
        }
        Buffer payload = null;
        if (payloadLength > 0) {
            payload = buffer.getBuffer(position, position + payloadLength);
            position += payloadLength;
        }
        String type = header.getString("type");
        header = null;
        scanned = position;
        return new Event(type, data, payload);
    }

    private boolean readHeader() throws ProtocolException {
        int end = -1;
        int limit = buffer.length();
        for (int i = Math.max(scanned, position); i < limit; i++) {
            if (buffer.getByte(i) == '\n') {
                end = i;
                break;
            }
        }
        if (end < 0) {
            scanned = limit;
            if (limit - position > maxHeaderBytes) {
                throw new ProtocolException("header-too-long", "header line longer than " + maxHeaderBytes
                        + " bytes (earshot.ingest.wyoming.max-header-size)");
            }
            return false;
        }
        if (end - position + 1 > maxHeaderBytes) {
            throw new ProtocolException("header-too-long", "header line of " + (end - position + 1)
                    + " bytes is longer than " + maxHeaderBytes + " bytes (earshot.ingest.wyoming.max-header-size)");
        }
        String line = buffer.getString(position, end, StandardCharsets.UTF_8.name()).strip();
        position = end + 1;
        scanned = position;
        JsonObject parsed = parseObject(line, "header");
        Object type = parsed.getValue("type");
        if (!(type instanceof String name) || name.isEmpty()) {
            throw new ProtocolException("bad-header", "header has no \"type\" string");
        }
        Object data = parsed.getValue("data");
        if (data != null && !(data instanceof JsonObject)) {
            throw new ProtocolException("bad-header", "\"data\" of '" + name + "' must be an object");
        }
        Object version = parsed.getValue("version");
        if (version != null && !(version instanceof String)) {
            throw new ProtocolException("bad-header", "\"version\" of '" + name + "' must be a string");
        }
        dataLength = length(parsed, "data_length", name);
        payloadLength = length(parsed, "payload_length", name);
        header = parsed;
        return true;
    }

    private int length(JsonObject parsed, String key, String type) throws ProtocolException {
        Object value = parsed.getValue(key);
        if (value == null) {
            return 0;
        }
        if (!(value instanceof Number number) || number.doubleValue() != Math.rint(number.doubleValue())
                || number.doubleValue() < 0) {
            throw new ProtocolException("bad-header", "\"" + key + "\" of '" + type
                    + "' must be a non-negative integer");
        }
        if (number.doubleValue() > maxMessageBytes) {
            throw new ProtocolException("too-large", "\"" + key + "\" of '" + type + "' is " + number.longValue()
                    + " bytes, more than " + maxMessageBytes + " (earshot.ingest.wyoming.max-message-size)");
        }
        return number.intValue();
    }

    private static JsonObject parseObject(String text, String what) throws ProtocolException {
        JsonObject parsed;
        try {
            parsed = new JsonObject(text);
        } catch (RuntimeException e) {
            parsed = null;
        }
        if (parsed == null || parsed.getMap() == null) {
            throw new ProtocolException("bad-json", what + " is not a JSON object");
        }
        return parsed;
    }

    /** One event as the reference implementation writes it: header line, data bytes, payload. */
    static Buffer encode(String type, JsonObject data, Buffer payload) {
        JsonObject header = new JsonObject().put("type", type).put("version", PROTOCOL_VERSION);
        byte[] dataBytes = data == null || data.isEmpty() ? null : data.encode().getBytes(StandardCharsets.UTF_8);
        if (dataBytes != null) {
            header.put("data_length", dataBytes.length);
        }
        if (payload != null && payload.length() > 0) {
            header.put("payload_length", payload.length());
        }
        Buffer out = Buffer.buffer(header.encode()).appendByte((byte) '\n');
        if (dataBytes != null) {
            out.appendBytes(dataBytes);
        }
        if (payload != null) {
            out.appendBuffer(payload);
        }
        return out;
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
        String cut = text.length() > 40 ? text.substring(0, 40) + "..." : text;
        return cut.replaceAll("[^\\x20-\\x7e]", "?");
    }
}
