package dev.earshot.gateway.session;

import java.util.Set;

/**
 * Session origins ({@code <kind>:<detail>}, e.g. {@code vosk:127.0.0.1:50312} or {@code api:transcribe}) and which
 * kinds carry real-time audio. One list, read by the decoding threads (live sessions' runs go first), by admission (live
 * sessions make up the decode load) and by the pipeline's speech gate ({@code speech-gate=auto} gates live audio).
 */
public final class Origins {

    /**
     * Kinds of real-time audio: clients of the live protocols (WHIP, vosk-server, Wyoming) and capture sources
     * (microphones, exec). The rest (uploads, file sources) are paced by decoding: they can wait.
     */
    public static final Set<String> LIVE = Set.of("whip", "vosk", "wyoming", "microphone", "exec");

    private Origins() {
    }

    /** The kind of an origin: what comes before its first colon. */
    public static String kind(String origin) {
        int colon = origin.indexOf(':');
        return colon < 0 ? origin : origin.substring(0, colon);
    }

    /** Whether a session of this origin carries real-time audio ({@link #LIVE}). */
    public static boolean live(String origin) {
        return LIVE.contains(kind(origin));
    }
}
