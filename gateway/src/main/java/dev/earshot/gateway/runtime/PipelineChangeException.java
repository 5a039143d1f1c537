package dev.earshot.gateway.runtime;

/** A pipeline that cannot be added, replaced or removed at run time; the message says why and what to do. */
public final class PipelineChangeException extends Exception {

    /** What kind of refusal: the API maps these to 400, 409, 409, 404 and 500. */
    public enum Reason { INVALID, READ_ONLY, BUSY, NOT_FOUND, STORAGE }

    private final Reason reason;

    public PipelineChangeException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public PipelineChangeException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
