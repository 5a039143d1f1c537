package dev.earshot.wyoming;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import dev.earshot.json.Json;

/**
 * Writes Wyoming events as the reference implementation does: a header line
 * {@code {"type", "version", "data_length"?, "payload_length"?}}, then the data as JSON bytes, then the payload.
 */
public final class WyomingEncoder {

    /** The protocol version written in every header. */
    public static final String VERSION = "1.7.2";

    private WyomingEncoder() {
    }

    /** One event as bytes. */
    public static byte[] encode(WyomingEvent event) {
        byte[] payload = event.payload();
        return encode(event.type(), event.data(), payload, 0, payload == null ? 0 : payload.length);
    }

    /** One event as bytes, its payload {@code length} bytes of {@code payload} from {@code offset}. */
    public static byte[] encode(String type, Map<String, Object> data, byte[] payload, int offset, int length) {
        byte[] head = head(type, data, payload == null ? 0 : length);
        int body = payload == null ? 0 : length;
        byte[] out = new byte[head.length + body];
        System.arraycopy(head, 0, out, 0, head.length);
        if (body > 0) {
            System.arraycopy(payload, offset, out, head.length, body);
        }
        return out;
    }

    /** Writes one event. Not flushed: the caller flushes when it has nothing more to write at once. */
    public static void write(OutputStream out, WyomingEvent event) throws IOException {
        byte[] payload = event.payload();
        write(out, event.type(), event.data(), payload, 0, payload == null ? 0 : payload.length);
    }

    /** Writes one event, its payload {@code length} bytes of {@code payload} from {@code offset}. Not flushed. */
    public static void write(OutputStream out, String type, Map<String, Object> data, byte[] payload, int offset,
            int length) throws IOException {
        out.write(head(type, data, payload == null ? 0 : length));
        if (payload != null && length > 0) {
            out.write(payload, offset, length);
        }
    }

    /** The header line and the data bytes. */
    private static byte[] head(String type, Map<String, Object> data, int payloadLength) {
        byte[] dataBytes = null;
        if (data != null && !data.isEmpty()) {
            StringBuilder json = new StringBuilder(64);
            Json.write(json, data);
            dataBytes = json.toString().getBytes(StandardCharsets.UTF_8);
        }
        StringBuilder header = new StringBuilder(96);
        header.append("{\"type\":");
        Json.string(header, type);
        header.append(",\"version\":\"").append(VERSION).append('"');
        if (dataBytes != null) {
            header.append(",\"data_length\":").append(dataBytes.length);
        }
        if (payloadLength > 0) {
            header.append(",\"payload_length\":").append(payloadLength);
        }
        header.append("}\n");
        byte[] line = header.toString().getBytes(StandardCharsets.UTF_8);
        if (dataBytes == null) {
            return line;
        }
        byte[] out = new byte[line.length + dataBytes.length];
        System.arraycopy(line, 0, out, 0, line.length);
        System.arraycopy(dataBytes, 0, out, line.length, dataBytes.length);
        return out;
    }
}
