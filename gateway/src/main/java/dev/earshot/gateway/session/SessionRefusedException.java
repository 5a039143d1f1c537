package dev.earshot.gateway.session;

/** A session could not be opened: the pipeline is not running or is at its session limit. */
public final class SessionRefusedException extends IllegalStateException {

    private final boolean retryable;

    public SessionRefusedException(String message, boolean retryable) {
        super(message);
        this.retryable = retryable;
    }

    /** True when trying again later may work (limit reached, pipeline starting); maps to 503. */
    public boolean retryable() {
        return retryable;
    }
}
