package dev.earshot.wyoming;

import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * One Wyoming event: a type, its data (the header's {@code data} merged with the {@code data_length} bytes, as
 * {@link dev.earshot.json.Json} reads JSON) and an optional binary payload (PCM for {@code audio-chunk}).
 *
 * @param type    the event type, never empty
 * @param data    the event's data; empty when it has none
 * @param payload the payload bytes, or null when there is none
 */
public record WyomingEvent(String type, Map<String, Object> data, byte[] payload) {

    public WyomingEvent {
        requireNonNull(type, "type is null");
        data = data == null ? Map.of() : data;
    }

    /** An event without payload. */
    public static WyomingEvent of(String type, Map<String, Object> data) {
        return new WyomingEvent(type, data, null);
    }

    /** A text field of the data, or "" when missing or not a string. */
    public String text(String key) {
        return data.get(key) instanceof String s ? s : "";
    }

    @Override
    public String toString() {
        return "WyomingEvent[" + type + ", " + data.keySet() + (payload == null ? "" : ", " + payload.length + " bytes") + "]";
    }
}
