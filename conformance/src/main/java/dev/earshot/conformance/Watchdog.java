package dev.earshot.conformance;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Runs a step that must not hang (a close from a callback, a hook) on a thread of its own and fails the test with a
 * dump of every thread when it takes longer than its limit, so a deadlock is shown, not just reported.
 */
public final class Watchdog {

    private Watchdog() {
    }

    public static <T> T within(Duration limit, String what, Callable<T> step) throws Exception {
        FutureTask<T> task = new FutureTask<>(step);
        Thread thread = new Thread(task, "conformance-" + what.replaceAll("\\W+", "-"));
        thread.setDaemon(true);
        thread.start();
        try {
            return task.get(limit.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            String dump = threadDump();
            thread.interrupt();
            return fail(what + " did not finish within " + limit.toMillis() + " ms (deadlock or hang?). Threads:\n" + dump);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception cause) {
                throw cause;
            }
            throw new AssertionError(what + " failed", e.getCause());
        }
    }

    public static void run(Duration limit, String what, ThrowingRunnable step) throws Exception {
        within(limit, what, () -> {
            step.run();
            return null;
        });
    }

    /**
     * Calls {@code target.close()} from {@code threads} threads released together, within {@code limit} (a thread
     * dump on a hang), and fails the test if any of the calls threw.
     */
    public static void closeFromThreads(AutoCloseable target, int threads, Duration limit) throws Exception {
        CyclicBarrier together = new CyclicBarrier(threads);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        run(limit, "close from " + threads + " threads", () -> {
            List<Thread> closers = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                Thread closer = new Thread(() -> {
                    try {
                        together.await();
                        target.close();
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                });
                closers.add(closer);
                closer.start();
            }
            for (Thread closer : closers) {
                closer.join();
            }
        });
        if (failure.get() != null) {
            fail("close() from several threads failed: " + failure.get(), failure.get());
        }
    }

    @FunctionalInterface
    public interface ThrowingRunnable {
        void run() throws Exception;
    }

    /** Every live thread with its stack, locks and what it waits for. */
    public static String threadDump() {
        StringBuilder out = new StringBuilder();
        for (ThreadInfo info : ManagementFactory.getThreadMXBean().dumpAllThreads(true, true)) {
            out.append('"').append(info.getThreadName()).append("\" ").append(info.getThreadState());
            if (info.getLockName() != null) {
                out.append(" on ").append(info.getLockName());
            }
            if (info.getLockOwnerName() != null) {
                out.append(" held by \"").append(info.getLockOwnerName()).append('"');
            }
            out.append('\n');
            for (StackTraceElement element : info.getStackTrace()) {
                out.append("    at ").append(element).append('\n');
            }
        }
        return out.toString();
    }

    /** Retained heap after a full collection, in bytes: the baseline and the figure for bounded-memory checks. */
    public static long retainedHeap() {
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            System.gc();
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            best = Math.min(best, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        }
        return best;
    }

    static Duration seconds(long seconds) {
        return Duration.ofSeconds(seconds);
    }
}
