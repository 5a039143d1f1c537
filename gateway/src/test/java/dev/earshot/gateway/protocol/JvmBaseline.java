package dev.earshot.gateway.protocol;

import java.lang.management.ManagementFactory;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Threads and heap after GC before and after a run of bad input: what the fuzz tests require to come back. */
public final class JvmBaseline {

    private JvmBaseline() {
    }

    /** {thread count, heap used after GC (the least of three collections)}. */
    public static long[] measure() throws InterruptedException {
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(100);
            used = Math.min(used, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        }
        return new long[]{ManagementFactory.getThreadMXBean().getThreadCount(), used};
    }

    /**
     * Threads back to at most two above the baseline (waiting up to 10 s for threads that are ending) and heap after
     * GC within 32 MiB of it.
     */
    public static void assertBack(long[] baseline, long[] after) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (after[0] > baseline[0] + 2 && System.nanoTime() < deadline) {
            Thread.sleep(200);
            after = measure();
        }
        assertTrue(after[0] <= baseline[0] + 2, "threads back to baseline " + baseline[0] + ": " + after[0]);
        assertTrue(after[1] <= baseline[1] + 32L * 1024 * 1024, "heap after GC back near baseline "
                + baseline[1] / 1048576 + " MiB: " + after[1] / 1048576 + " MiB");
    }
}
