package dev.earshot.spi.hook;

import dev.earshot.spi.source.SessionOutcome;

/**
 * Per-session lifecycle hooks, attached to a pipeline with {@code earshot.pipelines.<name>.hooks}.
 *
 * <p>Hooks run on a host worker thread (never an event loop), one call at a time per session, and each call is
 * bounded by the host's hook time limit ({@code earshot.runtime.hook-timeout}, 5 s by default). A {@code sessionStarted}
 * that throws refuses that session, with an error naming the plugin and the hook (this is how a hook refuses a
 * session); a {@code sessionStopped} that throws is logged. A hook call that overruns the limit fails the pipelines
 * that use the hook (their sessions are aborted, new ones refused until the pipeline is started again), because its
 * thread may be stuck for good. Other pipelines keep running either way.
 */
public interface SessionHook extends AutoCloseable {

    /** Before the session's first frame is decoded. */
    default void sessionStarted(SessionInfo session) throws Exception {
    }

    /**
     * After the session's last transcript was emitted and its recognizer released. Called once for every session
     * whose {@link #sessionStarted} was called (also when a hook refused it); not for a session that was closed
     * before its hooks were started. {@code outcome} says how it closed ({@link SessionOutcome.Kind}) and why.
     */
    default void sessionStopped(SessionInfo session, SessionOutcome outcome) throws Exception {
    }

    /** Releases the hook. Idempotent; no hook method is called after it returns. */
    @Override
    default void close() {
    }
}
