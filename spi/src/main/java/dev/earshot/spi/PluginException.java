package dev.earshot.spi;

/**
 * A failure a user can act on: the message names the thing, the value and the fix, e.g.
 * {@code "earshot.engines.vosk.model: folder /opt/model does not exist; point it at an unpacked Vosk model"}.
 */
public class PluginException extends RuntimeException {

    public PluginException(String message) {
        super(message);
    }

    public PluginException(String message, Throwable cause) {
        super(message, cause);
    }
}
