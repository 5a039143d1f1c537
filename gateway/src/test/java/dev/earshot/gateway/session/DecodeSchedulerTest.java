package dev.earshot.gateway.session;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The decoding threads' order: live runs before paced ones, each class in the order queued, and a bounded queue. */
class DecodeSchedulerTest {

    @Test
    void liveRunsGoBeforePacedOnesAndEachClassKeepsItsOrder() throws Exception {
        try (DecodeScheduler scheduler = new DecodeScheduler(1, 8)) {
            CountDownLatch release = occupy(scheduler);
            List<String> ran = new CopyOnWriteArrayList<>();
            List<String> queued = List.of("upload-1", "live-1", "upload-2", "live-2", "upload-3", "live-3");
            CountDownLatch done = new CountDownLatch(queued.size());
            for (String name : queued) {
                scheduler.execute(() -> {
                    ran.add(name);
                    done.countDown();
                }, name.startsWith("live"));
            }
            release.countDown();
            assertTrue(done.await(10, TimeUnit.SECONDS), "all ran: " + ran);
            assertEquals(List.of("live-1", "live-2", "live-3", "upload-1", "upload-2", "upload-3"), ran);
        }
    }

    @Test
    void theQueueHoldsAtMostItsCapacityAndRefusesTheNextRun() throws Exception {
        try (DecodeScheduler scheduler = new DecodeScheduler(1, 3)) {
            CountDownLatch release = occupy(scheduler);
            CountDownLatch done = new CountDownLatch(3);
            for (boolean live : new boolean[]{false, true, false}) {
                scheduler.execute(done::countDown, live);
            }
            assertThrows(RejectedExecutionException.class, () -> scheduler.execute(done::countDown, true), "a live run");
            assertThrows(RejectedExecutionException.class, () -> scheduler.execute(done::countDown, false), "a paced run");
            release.countDown();
            assertTrue(done.await(10, TimeUnit.SECONDS), "the three queued ran");
            CountDownLatch again = new CountDownLatch(1);
            scheduler.execute(again::countDown, false);
            assertTrue(again.await(10, TimeUnit.SECONDS), "room again once the queue emptied");
        }
    }

    /** Holds the only decoding thread until the returned latch is counted down. */
    private static CountDownLatch occupy(DecodeScheduler scheduler) throws InterruptedException {
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        scheduler.execute(() -> {
            running.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, true);
        assertTrue(running.await(10, TimeUnit.SECONDS), "the thread took the first run");
        return release;
    }
}
