package dev.earshot.gateway.session;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The threads that decode speech, shared by every session. A session is scheduled onto it as one serial task (see
 * {@link Session}): it is queued at most once at a time, so the work queue is bounded by the number of sessions and
 * each session's frames are decoded in order by one thread at a time. Decoding never runs on an event loop.
 */
public final class DecodeScheduler implements AutoCloseable {

    private final ThreadPoolExecutor pool;

    public DecodeScheduler(int threads, int maxQueuedSessions) {
        AtomicInteger counter = new AtomicInteger();
        this.pool = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(maxQueuedSessions), runnable -> {
            Thread thread = new Thread(runnable, "earshot-decode-" + counter.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        pool.prestartAllCoreThreads();
    }

    void execute(Runnable serialTask) {
        pool.execute(serialTask);
    }

    public int threads() {
        return pool.getCorePoolSize();
    }

    @Override
    public void close() {
        pool.shutdown();
        try {
            if (!pool.awaitTermination(5, TimeUnit.SECONDS)) {
                pool.shutdownNow();
                pool.awaitTermination(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            pool.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
