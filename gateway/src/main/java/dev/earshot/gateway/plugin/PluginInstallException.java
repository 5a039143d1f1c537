package dev.earshot.gateway.plugin;

/** A plugin jar that cannot be installed or removed; the message says why and what to do. */
public final class PluginInstallException extends Exception {

    /** What kind of refusal: the API maps these to 400, 409, 404 and 413. */
    public enum Reason { INVALID, CONFLICT, IN_USE, NOT_FOUND, TOO_LARGE }

    private final Reason reason;

    public PluginInstallException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public PluginInstallException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
