package dev.earshot.gateway.speech;

import java.util.Locale;

/**
 * When a pipeline's sessions are gated ({@code earshot.pipelines.<name>.speech-gate}).
 *
 * <ul>
 *   <li>{@code auto} (default): live audio is gated, that is sessions from microphones, WHIP, exec sources and
 *       vosk-server and Wyoming clients; files and uploads are decoded whole.</li>
 *   <li>{@code on}: every session is gated.</li>
 *   <li>{@code off}: nothing is gated.</li>
 * </ul>
 */
public enum SpeechGateMode {
    AUTO, ON, OFF;

    /** Reads a setting; the message names the key and the values it takes. */
    public static SpeechGateMode parse(String key, String value) {
        try {
            return valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(key + ": '" + value + "' is not valid; expected auto, on or off");
        }
    }

    /** Whether a session is gated, given whether it carries live audio (the session's origin says). */
    public boolean gates(boolean live) {
        return switch (this) {
            case ON -> true;
            case OFF -> false;
            case AUTO -> live;
        };
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
