package dev.earshot.gateway.pipeline;

import dev.earshot.gateway.plugin.PluginCalls;
import dev.earshot.gateway.session.Session;
import dev.earshot.spi.source.SessionOutcome;

import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * The calls of a pipeline's session hooks for one session, each under the hook time limit and in the order the hooks
 * are configured. A hook that overran its limit is reported to the pipeline, which then fails.
 */
final class SessionHookCalls {

    /** What the pipeline does when a hook overran its time limit (its thread may be stuck for good). */
    @FunctionalInterface
    interface Overrun {
        void overran(Pipeline.Hook hook, String message, Session session);
    }

    private static final System.Logger LOG = System.getLogger(Pipeline.class.getName());

    private final String pipeline;
    private final List<Pipeline.Hook> hooks;
    private final PluginCalls calls;
    private final Overrun overrun;

    SessionHookCalls(String pipeline, List<Pipeline.Hook> hooks, PluginCalls calls, Overrun overrun) {
        this.pipeline = requireNonNull(pipeline, "pipeline is null");
        this.hooks = requireNonNull(hooks, "hooks is null");
        this.calls = requireNonNull(calls, "calls is null");
        this.overrun = requireNonNull(overrun, "overrun is null");
    }

    /** Runs the session-started hooks until one fails; returns why the session must fail, or null. */
    String started(Session session) {
        for (Pipeline.Hook hook : hooks) {
            try {
                calls.call(hook.describe("sessionStarted"), () -> {
                    hook.hook().sessionStarted(session.info());
                    return null;
                });
            } catch (PluginCalls.HookFailedException e) {
                LOG.log(System.Logger.Level.ERROR, "pipeline '" + pipeline + "', session " + session.id() + ": " + e.getMessage());
                if (e.overran()) {
                    overrun.overran(hook, e.getMessage(), session);
                }
                return e.getMessage();
            }
        }
        return null;
    }

    /** Runs every session-stopped hook; a hook that fails is logged and does not keep the others from running. */
    void stopped(Session session, SessionOutcome outcome) {
        for (Pipeline.Hook hook : hooks) {
            try {
                calls.call(hook.describe("sessionStopped"), () -> {
                    hook.hook().sessionStopped(session.info(), outcome);
                    return null;
                });
            } catch (PluginCalls.HookFailedException e) {
                LOG.log(System.Logger.Level.WARNING, "pipeline '" + pipeline + "', session " + session.id() + ": " + e.getMessage());
                if (e.overran()) {
                    overrun.overran(hook, e.getMessage(), session);
                }
            }
        }
    }
}
