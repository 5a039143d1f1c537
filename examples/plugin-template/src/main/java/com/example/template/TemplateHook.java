package com.example.template;

import dev.earshot.spi.hook.SessionHook;
import dev.earshot.spi.hook.SessionInfo;
import dev.earshot.spi.source.SessionOutcome;

/**
 * A session hook: logs every session's start and stop. Contract: calls run on host worker threads, several
 * sessions at once, each under the host's time limit (5 s); throwing from {@code sessionStarted} refuses the
 * session; an interrupted call must end promptly.
 */
final class TemplateHook implements SessionHook {

    private final String name;
    private final System.Logger logger;

    TemplateHook(String name, System.Logger logger) {
        this.name = name;
        this.logger = logger;
    }

    @Override
    public void sessionStarted(SessionInfo session) {
        logger.log(System.Logger.Level.INFO, "hook '" + name + "': session " + session.id() + " started on pipeline "
                + session.pipeline() + " from " + session.origin());
    }

    @Override
    public void sessionStopped(SessionInfo session, SessionOutcome outcome) {
        logger.log(System.Logger.Level.INFO, "hook '" + name + "': session " + session.id() + " stopped: " + outcome);
    }
}
