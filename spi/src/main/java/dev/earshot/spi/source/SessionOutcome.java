package dev.earshot.spi.source;

import static java.util.Objects.requireNonNull;

/**
 * How and why an audio session closed. Hosts and protocol endpoints decide on the {@link #kind()} (a close code, a
 * reply, a log level); the {@link #cause()} is for people and logs only, never to be parsed.
 *
 * @param kind  what happened
 * @param cause a human-readable explanation ({@code "ended"}, {@code "closed"}, or why it stopped)
 */
public record SessionOutcome(Kind kind, String cause) {

    public enum Kind {
        /** The source ended the stream and its final transcript was emitted. */
        ENDED,
        /** The session's owner (the client or peer side) closed it. */
        CLOSED,
        /** Someone other than the owner aborted it (an operator, through the API). */
        ABORTED,
        /** The pipeline or the gateway is stopping. */
        STOPPING,
        /** A session hook refused it before its first frame was decoded. */
        REFUSED,
        /** Decoding, a hook or the pipeline failed. */
        FAILED
    }

    private static final SessionOutcome ENDED = new SessionOutcome(Kind.ENDED, "ended");
    private static final SessionOutcome CLOSED = new SessionOutcome(Kind.CLOSED, "closed");

    public SessionOutcome {
        requireNonNull(kind, "kind is null");
        requireNonNull(cause, "cause is null");
    }

    public static SessionOutcome ended() {
        return ENDED;
    }

    public static SessionOutcome closed() {
        return CLOSED;
    }

    public static SessionOutcome aborted(String cause) {
        return new SessionOutcome(Kind.ABORTED, cause);
    }

    public static SessionOutcome stopping(String cause) {
        return new SessionOutcome(Kind.STOPPING, cause);
    }

    public static SessionOutcome refused(String cause) {
        return new SessionOutcome(Kind.REFUSED, cause);
    }

    public static SessionOutcome failed(String cause) {
        return new SessionOutcome(Kind.FAILED, cause);
    }

    /** True when the session ended normally: the whole stream was decoded. */
    public boolean isEnded() {
        return kind == Kind.ENDED;
    }

    /** True for an end or a close by the owner: nothing went wrong. */
    public boolean isNormal() {
        return kind == Kind.ENDED || kind == Kind.CLOSED;
    }

    /** The cause, for logs. */
    @Override
    public String toString() {
        return cause;
    }
}
