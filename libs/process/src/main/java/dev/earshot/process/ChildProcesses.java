package dev.earshot.process;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Every child process a plugin started (through {@link ProcessSpec#start} or {@link #register}) and has not yet
 * reaped. A JVM shutdown hook (installed once, on the first start) kills what is left, with the processes' own
 * children, so that no program outlives the gateway: not after a normal stop (plugins close their processes anyway),
 * not after SIGTERM or SIGINT, not when a session crashed. The child's stdin is its other safeguard: when the gateway
 * dies by SIGKILL the pipe closes, and a program that stops at the end of its input exits.
 */
public final class ChildProcesses {

    private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();
    private static volatile boolean hookInstalled;

    private ChildProcesses() {
    }

    public static void register(Process process) {
        installHook();
        LIVE.add(process);
        process.onExit().thenRun(() -> LIVE.remove(process));
    }

    /** Processes started and still alive; for tests and health. */
    public static int live() {
        return (int) LIVE.stream().filter(Process::isAlive).count();
    }

    /**
     * Ends a process: SIGTERM to it and its descendants, then SIGKILL to whatever is left after {@code graceMillis}.
     * Blocks at most about that long.
     */
    public static void kill(Process process, long graceMillis) {
        var descendants = process.descendants().toList();
        process.destroy();
        descendants.forEach(ProcessHandle::destroy);
        try {
            if (!process.waitFor(graceMillis, TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                process.waitFor(graceMillis, TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        descendants.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
        LIVE.remove(process);
    }

    private static synchronized void installHook() {
        if (hookInstalled) {
            return;
        }
        hookInstalled = true;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            for (Process process : Set.copyOf(LIVE)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
            }
        }, "earshot-process-reaper"));
    }
}
