package dev.earshot.plugins.wyoming;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

import dev.earshot.json.Json;

/**
 * Wyoming framing over blocking streams (a child's stdin/stdout or a socket): a JSON header line
 * {@code {"type", "data"?, "data_length"?, "payload_length"?, "version"?}}, then {@code data_length} bytes of JSON
 * merged into {@code data}, then {@code payload_length} bytes of payload.
 *
 * <p>Reading is bounded: a header line longer than {@code maxHeaderBytes}, or a data or payload length above
 * {@code maxMessageBytes}, is refused before anything is allocated for it. The gateway's Wyoming server has its own,
 * non-blocking reader on Vert.x buffers; the two are kept apart on purpose, so that this plugin needs the SPI only.
 */
final class WyomingCodec {

    /** The peer broke the framing; the message says how. */
    static final class ProtocolException extends IOException {
        ProtocolException(String message) {
            super(message);
        }
    }

    static final String VERSION = "1.5.2";

    private final int maxHeaderBytes;
    private final int maxMessageBytes;

    WyomingCodec(int maxHeaderBytes, int maxMessageBytes) {
        this.maxHeaderBytes = maxHeaderBytes;
        this.maxMessageBytes = maxMessageBytes;
    }

    /** Reads the next event, or returns null at a clean end of stream (between events). */
    WyomingEvent read(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(128);
        while (true) {
            int b = in.read();
            if (b < 0) {
                if (line.size() == 0) {
                    return null;
                }
                throw new EOFException("stream ended inside a header line");
            }
            if (b == '\n') {
                if (line.size() == 0) {
                    continue;
                }
                break;
            }
            if (line.size() >= maxHeaderBytes) {
                throw new ProtocolException("header line longer than " + maxHeaderBytes + " bytes");
            }
            line.write(b);
        }
        Map<String, Object> header;
        try {
            header = Json.parseObject(line.toString(StandardCharsets.UTF_8));
        } catch (Json.JsonException e) {
            throw new ProtocolException("header is not a JSON object: " + e.getMessage());
        }
        if (!(header.get("type") instanceof String type) || type.isEmpty()) {
            throw new ProtocolException("header has no \"type\" string");
        }
        Object rawData = header.get("data");
        if (rawData != null && !(rawData instanceof Map)) {
            throw new ProtocolException("\"data\" of '" + type + "' must be an object");
        }
        int dataLength = length(header, "data_length", type);
        int payloadLength = length(header, "payload_length", type);
        Map<String, Object> data = new LinkedHashMap<>();
        if (rawData != null) {
            @SuppressWarnings("unchecked")
            Map<String, Object> inline = (Map<String, Object>) rawData;
            data.putAll(inline);
        }
        if (dataLength > 0) {
            byte[] bytes = in.readNBytes(dataLength);
            if (bytes.length < dataLength) {
                throw new EOFException("stream ended inside the data of '" + type + "'");
            }
            try {
                data.putAll(Json.parseObject(new String(bytes, StandardCharsets.UTF_8)));
            } catch (Json.JsonException e) {
                throw new ProtocolException("data of '" + type + "' is not a JSON object: " + e.getMessage());
            }
        }
        byte[] payload = null;
        if (payloadLength > 0) {
            payload = in.readNBytes(payloadLength);
            if (payload.length < payloadLength) {
                throw new EOFException("stream ended inside the payload of '" + type + "'");
            }
        }
        return new WyomingEvent(type, data, payload);
    }

    private int length(Map<String, Object> header, String key, String type) throws ProtocolException {
        Object value = header.get(key);
        if (value == null) {
            return 0;
        }
        if (!(value instanceof Long number) || number < 0) {
            throw new ProtocolException("\"" + key + "\" of '" + type + "' must be a non-negative integer");
        }
        if (number > maxMessageBytes) {
            throw new ProtocolException("\"" + key + "\" of '" + type + "' is " + number + " bytes, more than the limit of "
                    + maxMessageBytes);
        }
        return number.intValue();
    }

    /**
     * Writes one event with its data inline in the header and its payload after it. Not flushed: the caller flushes
     * when it has nothing more to write at once.
     */
    static void write(OutputStream out, WyomingEvent event) throws IOException {
        write(out, event.type(), event.data(), event.payload(), 0, event.payload() == null ? 0 : event.payload().length);
    }

    static void write(OutputStream out, String type, Map<String, Object> data, byte[] payload, int offset, int length)
            throws IOException {
        StringBuilder header = new StringBuilder(96);
        header.append("{\"type\":");
        Json.write(header, type);
        if (!data.isEmpty()) {
            header.append(",\"data\":");
            Json.write(header, data);
        }
        header.append(",\"version\":\"").append(VERSION).append('"');
        if (payload != null && length > 0) {
            header.append(",\"payload_length\":").append(length);
        }
        header.append("}\n");
        out.write(header.toString().getBytes(StandardCharsets.UTF_8));
        if (payload != null && length > 0) {
            out.write(payload, offset, length);
        }
    }
}
