package dev.earshot.gateway.plugin;

/** A plugin jar that cannot be installed or removed; the message says why and what to do. */
public final class PluginInstallException extends Exception {

    /**
     * What kind of refusal: the API maps these to 400, 409, 409, 404, 413 and 403 (a jar that is not trusted while
     * {@code earshot.plugin-checks.trusted-*} is configured).
     */
    public enum Reason { INVALID, CONFLICT, IN_USE, NOT_FOUND, TOO_LARGE, UNTRUSTED }

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
