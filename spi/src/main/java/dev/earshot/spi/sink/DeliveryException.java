package dev.earshot.spi.sink;

/**
 * Thrown by {@link TranscriptSink#deliver} to say whether trying again can help.
 *
 * <p>A <em>retryable</em> failure (the receiver is down, a timeout, a broker not connected) is treated like any other
 * exception: the host retries the final, then keeps it in the sink's on-disk spool and replays it when the sink
 * accepts again. A <em>permanent</em> failure ({@code retryable == false}: the receiver rejected this event, e.g. an
 * HTTP 400 or 403) is not retried and not spooled, since the same bytes would be rejected forever and block every
 * final behind them: the host logs it as an error naming the sink and counts it as a dropped final. The message
 * should say what the receiver answered (status and an excerpt of its reply).
 */
public class DeliveryException extends Exception {

    private final boolean retryable;

    public DeliveryException(String message, boolean retryable) {
        super(message);
        this.retryable = retryable;
    }

    public DeliveryException(String message, boolean retryable, Throwable cause) {
        super(message, cause);
        this.retryable = retryable;
    }

    /** Whether delivering the same event again may succeed. */
    public boolean retryable() {
        return retryable;
    }
}
