package dev.earshot.gateway.protocol;

import dev.earshot.gateway.session.Session;
import dev.earshot.gateway.session.SessionListener;
import dev.earshot.spi.source.SessionOutcome;
import io.vertx.core.Context;

import java.time.Duration;
import java.util.ArrayDeque;

import static java.util.Objects.requireNonNull;

/**
 * What every duplex protocol client (vosk-server WebSocket, Wyoming TCP) shares: one pipeline session fed from a
 * queue of pending items, the client's read side paused while the session's queue is full (back-pressure through
 * {@link ClientFlow}), an idle timer, a closing state, and a release that runs exactly once. A subclass speaks its
 * protocol: it parses client messages into {@link #pending} items, answers transcripts, and maps the session's
 * {@link SessionOutcome} to its own close (a WebSocket status, an error event).
 *
 * <p>Everything runs on the connection's event loop ({@link #context}); the session calls back on it too.
 */
public abstract class ProtocolConnection implements SessionListener {

    protected final Context context;
    /** Items not yet accepted by the session (its queue was full): bounded by one client message. */
    protected final ArrayDeque<Object> pending = new ArrayDeque<>();
    protected ClientFlow flow;
    protected Session session;
    /** The client asked for the end of its audio; the session is ended once {@link #pending} is handed over. */
    protected boolean endRequested;
    protected boolean closing;
    protected long lastActivity = System.nanoTime();

    private final Duration idleTimeout;
    private final String idleKey;
    private final Runnable onDone;
    private boolean ended;
    private boolean done;
    private long idleTimer = -1;

    /**
     * @param idleKey the configuration key of the idle timeout, named in the idle close message
     * @param onDone  runs once when the connection is released
     */
    protected ProtocolConnection(Context context, Duration idleTimeout, String idleKey, Runnable onDone) {
        this.context = requireNonNull(context, "context is null");
        this.idleTimeout = requireNonNull(idleTimeout, "idleTimeout is null");
        this.idleKey = requireNonNull(idleKey, "idleKey is null");
        this.onDone = requireNonNull(onDone, "onDone is null");
    }

    /** Hands one pending item to the session without blocking; false when its queue is full. */
    protected abstract boolean offer(Session session, Object item);

    /** The session took everything after a pause: reading resumed. */
    protected void resumed() {
    }

    /** True while the client waits for us (a reply owed, a paused read): the idle timer does not count then. */
    protected abstract boolean waitingForUs();

    /** The client was quiet for the idle timeout: close it the protocol's way with {@code message}. */
    protected abstract void closeIdle(String message);

    /** How the session's close reaches the client; not called once the connection is closing. */
    protected abstract void sessionClosed(SessionOutcome outcome);

    /** What the subclass holds beyond the shared state, dropped on release. */
    protected void releaseMore() {
    }

    protected final void startIdleTimer() {
        armIdleTimer(idleTimeout.toMillis());
    }

    /** Hands pending items to the session until its queue is full; then waits for it with the client paused. */
    protected final void pump() {
        if (closing || session == null) {
            return;
        }
        while (!pending.isEmpty()) {
            if (!offer(session, pending.peek())) {
                if (session.isOpen()) {
                    flow.hold(ClientFlow.Hold.SESSION);
                    session.onDrain(this::pump);
                }
                return;
            }
            pending.poll();
        }
        if (endRequested && !ended) {
            ended = true;
            session.end();
        }
        if (flow.held(ClientFlow.Hold.SESSION)) {
            flow.release(ClientFlow.Hold.SESSION);
            lastActivity = System.nanoTime();
            resumed();
        }
    }

    /** A new session after the last one ended (Wyoming's next request on the same connection). */
    protected final void nextSession(Session next) {
        session = next;
        endRequested = false;
        ended = false;
    }

    @Override
    public final void onClosed(SessionOutcome outcome) {
        if (!closing) {
            sessionClosed(outcome);
        }
    }

    /** Marks the connection closing and releases it; true the first time. */
    protected final boolean closeConnection() {
        if (closing) {
            return false;
        }
        closing = true;
        release();
        return true;
    }

    /** Releases the session, timer and flow; {@code onDone} runs exactly once. Safe to call again. */
    protected final void release() {
        closing = true;
        if (idleTimer >= 0) {
            context.owner().cancelTimer(idleTimer);
            idleTimer = -1;
        }
        pending.clear();
        releaseMore();
        Session current = session;
        session = null;
        if (current != null) {
            current.close();
        }
        flow.close();
        if (!done) {
            done = true;
            onDone.run();
        }
    }

    /** One timer per connection, re-armed for the remaining time: not touched per message. */
    private void armIdleTimer(long delayMillis) {
        idleTimer = context.owner().setTimer(Math.max(1, delayMillis), id -> {
            idleTimer = -1;
            if (closing) {
                return;
            }
            long idleNanos = idleTimeout.toNanos();
            long quiet = System.nanoTime() - lastActivity;
            if (flow.held(ClientFlow.Hold.SESSION) || !flow.writable() || waitingForUs()) {
                lastActivity = System.nanoTime();
                armIdleTimer(idleTimeout.toMillis());
            } else if (quiet >= idleNanos) {
                closeIdle("idle for " + idleTimeout.toSeconds() + " s (" + idleKey + ")");
            } else {
                armIdleTimer((idleNanos - quiet) / 1_000_000);
            }
        });
    }
}
