package dev.earshot.gateway.session;

/**
 * A session could not be opened: the pipeline is not running, is at its session limit, or decoding is at capacity
 * ({@link DecodeAdmission}).
 */
public final class SessionRefusedException extends IllegalStateException {

    /** {@link #reason()} of a refusal by {@link DecodeAdmission}: decoding cannot keep up with one more live session. */
    public static final String DECODE_LOAD = "decode-load";

    private final boolean retryable;
    private final String reason;

    public SessionRefusedException(String message, boolean retryable) {
        this(message, retryable, retryable ? "busy" : "refused");
    }

    public SessionRefusedException(String message, boolean retryable, String reason) {
        super(message);
        this.retryable = retryable;
        this.reason = reason;
    }

    /** True when trying again later may work (limit reached, pipeline starting, decoding at capacity); maps to 503. */
    public boolean retryable() {
        return retryable;
    }

    /** A short tag for counters and protocol error codes: {@code busy}, {@code refused} or {@link #DECODE_LOAD}. */
    public String reason() {
        return reason;
    }
}
