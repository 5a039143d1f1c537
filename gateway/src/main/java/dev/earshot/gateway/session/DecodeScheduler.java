package dev.earshot.gateway.session;

import java.util.Comparator;
import java.util.concurrent.PriorityBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The threads that decode speech, shared by every session. A session is scheduled onto it as one serial task (see
 * {@link Session}): it is queued at most once at a time, so the work queue is bounded by the number of sessions and
 * each session's frames are decoded in order by one thread at a time. Decoding never runs on an event loop.
 *
 * <p>Live sessions' runs go first ({@link Origins#LIVE}: protocol clients and capture sources, whose audio comes in
 * real time and is lost or late when it waits); paced ones (uploads, file sources) take the time that is left and
 * simply finish later. Within each class runs are taken in the order they were queued, so no session of a class
 * waits for another twice. A run is not interrupted: a live run waits at most for the runs already on the threads (a
 * session's run decodes at most 16 frames, see {@link Session}).
 */
public final class DecodeScheduler implements AutoCloseable {

    private final ThreadPoolExecutor pool;
    private final AtomicLong order = new AtomicLong();

    public DecodeScheduler(int threads, int maxQueuedSessions) {
        AtomicInteger counter = new AtomicInteger();
        this.pool = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS, new RunQueue(maxQueuedSessions),
                runnable -> {
                    Thread thread = new Thread(runnable, "earshot-decode-" + counter.incrementAndGet());
                    thread.setDaemon(true);
                    return thread;
                });
        pool.prestartAllCoreThreads();
    }

    /**
     * Queues one run of a session's serial task, ahead of every paced run when {@code live}.
     *
     * @throws java.util.concurrent.RejectedExecutionException when the scheduler is closed or the queue is full
     */
    void execute(Runnable serialTask, boolean live) {
        pool.execute(new Run(serialTask, live, order.getAndIncrement()));
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

    /** One queued run: live before paced, then in the order queued. */
    private record Run(Runnable task, boolean live, long order) implements Runnable {
        static final Comparator<Runnable> FIRST = Comparator.comparing((Runnable run) -> !((Run) run).live())
                .thenComparingLong(run -> ((Run) run).order());

        @Override
        public void run() {
            task.run();
        }
    }

    /**
     * The pool's work queue: runs by {@link Run#FIRST}, bounded (the pool only offers; a full queue rejects the run).
     * Offers are serialised, so the check of the size and the insert cannot interleave with another offer; a take only
     * makes the queue shorter.
     */
    private static final class RunQueue extends PriorityBlockingQueue<Runnable> {
        private final int capacity;

        RunQueue(int capacity) {
            super(16, Run.FIRST);
            if (capacity < 1) {
                throw new IllegalArgumentException("the decoding queue needs room for at least one session: " + capacity);
            }
            this.capacity = capacity;
        }

        @Override
        public synchronized boolean offer(Runnable run) {
            return size() < capacity && super.offer(run);
        }

        @Override
        public int remainingCapacity() {
            return Math.max(0, capacity - size());
        }
    }
}
