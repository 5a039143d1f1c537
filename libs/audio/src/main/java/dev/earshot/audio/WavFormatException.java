package dev.earshot.audio;

import java.io.IOException;

/**
 * A WAV file that cannot be read: not a WAV file, an unsupported encoding, or a damaged (truncated) file. The
 * message says what was found and, where there is one, the fix.
 */
public final class WavFormatException extends IOException {

    public WavFormatException(String message) {
        super(message);
    }
}
