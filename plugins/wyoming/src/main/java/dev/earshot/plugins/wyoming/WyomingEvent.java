package dev.earshot.plugins.wyoming;

import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * One Wyoming event: a type, its data (the header's {@code data} merged with the {@code data_length} bytes) and an
 * optional binary payload (PCM for {@code audio-chunk}).
 */
record WyomingEvent(String type, Map<String, Object> data, byte[] payload) {

    WyomingEvent {
        requireNonNull(type, "type is null");
        data = data == null ? Map.of() : data;
    }

    static WyomingEvent of(String type, Map<String, Object> data) {
        return new WyomingEvent(type, data, null);
    }

    /** A text field of the data, or "" when missing or not a string. */
    String text(String key) {
        return data.get(key) instanceof String s ? s : "";
    }

    @Override
    public String toString() {
        return "WyomingEvent[" + type + ", " + data.keySet() + (payload == null ? "" : ", " + payload.length + " bytes") + "]";
    }
}
