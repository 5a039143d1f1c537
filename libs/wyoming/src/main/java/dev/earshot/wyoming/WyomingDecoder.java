package dev.earshot.wyoming;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import dev.earshot.json.Json;

/**
 * Splits a Wyoming byte stream into events. Bytes come in chunks of any size ({@link #feed}); {@link #next} yields
 * each complete event: a JSON header line {@code {"type", "data"?, "data_length"?, "payload_length"?, "version"?}},
 * then {@code data_length} bytes of JSON merged into {@code data}, then {@code payload_length} bytes of payload.
 *
 * <p>Bounded: a header line longer than {@code maxHeaderBytes} and a length above {@code maxMessageBytes} are
 * refused with a {@link WyomingException} before anything is allocated for them, so buffered bytes never exceed those
 * limits plus one chunk. The limits' names (the settings that set them) are quoted in the errors. Not thread-safe.
 */
public final class WyomingDecoder {

    private final int maxHeaderBytes;
    private final long maxMessageBytes;
    private final String headerLimitName;
    private final String messageLimitName;
    private byte[] buffer = new byte[4096];
    private int position;
    private int limit;
    /** Where to go on looking for the header's newline. */
    private int scanned;
    // The header read, while its data and payload are awaited.
    private String type;
    private Map<String, Object> inlineData;
    private int dataLength;
    private int payloadLength;

    /**
     * @param maxHeaderBytes   the longest header line accepted, newline included
     * @param maxMessageBytes  the largest {@code data_length} and {@code payload_length} accepted
     * @param headerLimitName  the setting of {@code maxHeaderBytes}, named in errors
     * @param messageLimitName the setting of {@code maxMessageBytes}, named in errors
     */
    public WyomingDecoder(int maxHeaderBytes, long maxMessageBytes, String headerLimitName, String messageLimitName) {
        if (maxHeaderBytes < 1 || maxMessageBytes < 0) {
            throw new IllegalArgumentException("limits must be positive, got " + maxHeaderBytes + " and "
                    + maxMessageBytes);
        }
        this.maxHeaderBytes = maxHeaderBytes;
        this.maxMessageBytes = Math.min(maxMessageBytes, Integer.MAX_VALUE - 16);
        this.headerLimitName = headerLimitName;
        this.messageLimitName = messageLimitName;
    }

    /** Takes the next {@code length} bytes of the stream from {@code bytes} at {@code offset}. */
    public void feed(byte[] bytes, int offset, int length) {
        if (length <= 0) {
            return;
        }
        if (position > 0 && (position == limit || limit + length > buffer.length)) {
            System.arraycopy(buffer, position, buffer, 0, limit - position);
            scanned -= position;
            limit -= position;
            position = 0;
        }
        if (limit + length > buffer.length) {
            buffer = Arrays.copyOf(buffer, Math.max(limit + length, buffer.length * 2));
        }
        System.arraycopy(bytes, offset, buffer, limit, length);
        limit += length;
    }

    /** Takes all of {@code bytes}. */
    public void feed(byte[] bytes) {
        feed(bytes, 0, bytes.length);
    }

    /** Bytes received and not yet consumed. */
    public int buffered() {
        return limit - position;
    }

    /** The next complete event, or null when more bytes are needed. */
    public WyomingEvent next() throws WyomingException {
        if (type == null && !readHeader()) {
            return null;
        }
        if (limit - position < (long) dataLength + payloadLength) {
            return null;
        }
        Map<String, Object> data = inlineData;
        if (dataLength > 0) {
            data.putAll(parseObject(new String(buffer, position, dataLength, StandardCharsets.UTF_8), "data"));
            position += dataLength;
        }
        byte[] payload = null;
        if (payloadLength > 0) {
            payload = Arrays.copyOfRange(buffer, position, position + payloadLength);
            position += payloadLength;
        }
        WyomingEvent event = new WyomingEvent(type, data, payload);
        type = null;
        inlineData = null;
        scanned = position;
        if (position == limit && buffer.length > 65_536) {
            buffer = new byte[4096];
            position = 0;
            limit = 0;
            scanned = 0;
        }
        return event;
    }

    /**
     * Reads the next event from a blocking stream, feeding this decoder as it goes; bytes read past the event stay
     * buffered for the next call. Returns null at a clean end of stream (between events).
     *
     * @throws EOFException      when the stream ends inside an event
     * @throws WyomingException when the stream breaks the protocol
     */
    public WyomingEvent read(InputStream in) throws IOException {
        byte[] chunk = null;
        while (true) {
            WyomingEvent event = next();
            if (event != null) {
                return event;
            }
            if (chunk == null) {
                chunk = new byte[8192];
            }
            int n = in.read(chunk);
            if (n < 0) {
                if (buffered() == 0 && type == null) {
                    return null;
                }
                throw new EOFException(type == null ? "stream ended inside a header line"
                        : "stream ended inside the event '" + type + "'");
            }
            feed(chunk, 0, n);
        }
    }

    private boolean readHeader() throws WyomingException {
        int end = -1;
        for (int i = Math.max(scanned, position); i < limit; i++) {
            if (buffer[i] == '\n') {
                end = i;
                break;
            }
        }
        if (end < 0) {
            scanned = limit;
            if (limit - position > maxHeaderBytes) {
                throw new WyomingException("header-too-long", "header line longer than " + maxHeaderBytes
                        + " bytes (" + headerLimitName + ")");
            }
            return false;
        }
        if (end - position + 1 > maxHeaderBytes) {
            throw new WyomingException("header-too-long", "header line of " + (end - position + 1)
                    + " bytes is longer than " + maxHeaderBytes + " bytes (" + headerLimitName + ")");
        }
        String line = new String(buffer, position, end - position, StandardCharsets.UTF_8).strip();
        position = end + 1;
        scanned = position;
        Map<String, Object> header = parseObject(line, "header");
        if (!(header.get("type") instanceof String name) || name.isEmpty()) {
            throw new WyomingException("bad-header", "header has no \"type\" string");
        }
        Object data = header.get("data");
        if (data != null && !(data instanceof Map)) {
            throw new WyomingException("bad-header", "\"data\" of '" + name + "' must be an object");
        }
        Object version = header.get("version");
        if (version != null && !(version instanceof String)) {
            throw new WyomingException("bad-header", "\"version\" of '" + name + "' must be a string");
        }
        int dataBytes = length(header, "data_length", name);
        int payloadBytes = length(header, "payload_length", name);
        Map<String, Object> merged = new LinkedHashMap<>();
        if (data != null) {
            @SuppressWarnings("unchecked")
            Map<String, Object> inline = (Map<String, Object>) data;
            merged.putAll(inline);
        }
        dataLength = dataBytes;
        payloadLength = payloadBytes;
        inlineData = merged;
        type = name;
        return true;
    }

    private int length(Map<String, Object> header, String key, String name) throws WyomingException {
        Object value = header.get(key);
        if (value == null) {
            return 0;
        }
        if (!(value instanceof Number number) || number.doubleValue() != Math.rint(number.doubleValue())
                || number.doubleValue() < 0) {
            throw new WyomingException("bad-header", "\"" + key + "\" of '" + name
                    + "' must be a non-negative integer");
        }
        if (number.doubleValue() > maxMessageBytes) {
            throw new WyomingException("too-large", "\"" + key + "\" of '" + name + "' is " + number.longValue()
                    + " bytes, more than " + maxMessageBytes + " (" + messageLimitName + ")");
        }
        return number.intValue();
    }

    private static Map<String, Object> parseObject(String text, String what) throws WyomingException {
        try {
            return Json.parseObject(text);
        } catch (Json.JsonException | RuntimeException e) {
            throw new WyomingException("bad-json", what + " is not a JSON object");
        }
    }

    /** {@code text} cut to 40 characters with everything but printable ASCII replaced, to quote a peer's input. */
    public static String printable(String text) {
        String cut = text.length() > 40 ? text.substring(0, 40) + "..." : text;
        return cut.replaceAll("[^\\x20-\\x7e]", "?");
    }
}
