package dev.earshot.conformance;

import dev.earshot.spi.source.SessionOutcome;
import dev.earshot.spi.audio.AudioFormat;
import dev.earshot.spi.hook.SessionHook;
import dev.earshot.spi.hook.SessionInfo;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * The {@link SessionHook} contract. Extend it and make the hook. Checked: {@code sessionStarted} and
 * {@code sessionStopped} return within the host's hook time limit ({@code earshot.hooks.timeout}, 5 s unless
 * {@link #hookTimeLimit()} says otherwise), also for several sessions at once (one call at a time per session);
 * a call the host gave up on (interrupted) ends promptly; {@code close()} is idempotent.
 */
public abstract class SessionHookContract {

    protected abstract SessionHook createHook() throws Exception;

    protected Duration hookTimeLimit() {
        return Duration.ofSeconds(5);
    }

    protected static SessionInfo session(String id) {
        return new SessionInfo(id, "conformance", "conformance:" + id, AudioFormat.SPEECH_16K, Instant.now(),
                Map.of("device", "test"));
    }

    @Test
    void callsReturnWithinTheTimeLimitAlsoForConcurrentSessions() throws Exception {
        SessionHook hook = createHook();
        try {
            int sessions = 8;
            List<Thread> threads = new ArrayList<>();
            List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
            for (int i = 0; i < sessions; i++) {
                SessionInfo info = session("s" + i);
                Thread thread = new Thread(() -> {
                    try {
                        Watchdog.run(hookTimeLimit(), "sessionStarted of " + info.id(), () -> hook.sessionStarted(info));
                        Watchdog.run(hookTimeLimit(), "sessionStopped of " + info.id(), () -> hook.sessionStopped(info, SessionOutcome.ended()));
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                });
                threads.add(thread);
                thread.start();
            }
            for (Thread thread : threads) {
                thread.join();
            }
            if (!failures.isEmpty()) {
                throw new AssertionError("hook calls failed: " + failures, failures.get(0));
            }
        } finally {
            hook.close();
        }
    }

    @Test
    void anInterruptedCallEndsPromptly() throws Exception {
        SessionHook hook = createHook();
        try {
            Thread caller = new Thread(() -> {
                try {
                    hook.sessionStarted(session("interrupted"));
                } catch (Exception ignored) {
                    // an interrupted hook may throw
                }
            });
            caller.start();
            caller.interrupt();
            caller.join(hookTimeLimit().toMillis());
            if (caller.isAlive()) {
                throw new AssertionError("sessionStarted did not end within " + hookTimeLimit().toMillis()
                        + " ms of being interrupted (the host interrupts a hook that overruns):\n" + Watchdog.threadDump());
            }
        } finally {
            hook.close();
        }
    }

    @Test
    void closeIsIdempotent() throws Exception {
        SessionHook hook = createHook();
        Watchdog.run(hookTimeLimit(), "close twice", () -> {
            hook.close();
            hook.close();
        });
    }
}
