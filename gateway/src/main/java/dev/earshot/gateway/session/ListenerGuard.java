package dev.earshot.gateway.session;

import io.vertx.core.Context;

import java.util.concurrent.locks.ReentrantLock;

import static java.util.Objects.requireNonNull;

/**
 * Runs a session's listener calls on its home context, guarded against close.
 *
 * <h2>Contract</h2>
 * <ul>
 * <li>{@link #dispatch} may be called from any thread; the call runs later on the home context, one at a time,
 * unless the guard was closed before it got there.</li>
 * <li>After {@link #close()} returns no call runs any more, and none is in progress on another thread: a call in
 * progress there is waited for. A call in progress on the closing thread is the caller itself (a listener closing
 * its session from inside a call), so it is not waited for: no deadlock.</li>
 * <li>{@link #dispatchLast} runs one final call and closes the guard behind it, from the home context.</li>
 * </ul>
 * A call that throws is logged and does not stop later calls.
 */
final class ListenerGuard {

    /** Listener failures are logged under the session's category. */
    private static final System.Logger LOG = System.getLogger(Session.class.getName());

    private final String sessionId;
    private final Context home;
    private final ReentrantLock callbackLock = new ReentrantLock();
    private volatile boolean callbacksOpen = true;

    ListenerGuard(String sessionId, Context home) {
        this.sessionId = requireNonNull(sessionId, "sessionId is null");
        this.home = requireNonNull(home, "home is null");
    }

    /** Runs a listener call on the home context unless the guard is closed before it gets there. */
    void dispatch(Runnable call) {
        if (!callbacksOpen) {
            return;
        }
        home.runOnContext(ignored -> {
            callbackLock.lock();
            try {
                if (callbacksOpen) {
                    call.run();
                }
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "session " + sessionId + ": listener failed", e);
            } finally {
                callbackLock.unlock();
            }
        });
    }

    /** Like {@link #dispatch}, and closes the guard once the call has returned: nothing runs after it. */
    void dispatchLast(Runnable call) {
        dispatch(() -> {
            call.run();
            callbacksOpen = false;
        });
    }

    /**
     * Closes the guard: later dispatches do nothing, and a call in progress on another thread is waited for (a call
     * in progress on this thread is the caller itself, so it is not waited for: no deadlock). Idempotent.
     */
    void close() {
        callbacksOpen = false;
        if (!callbackLock.isHeldByCurrentThread()) {
            callbackLock.lock();
            callbackLock.unlock();
        }
    }
}
