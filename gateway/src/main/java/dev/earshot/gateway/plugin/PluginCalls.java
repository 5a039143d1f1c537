package dev.earshot.gateway.plugin;

import dev.earshot.spi.Redact;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs plugin code that the host must not trust to return (plugin and session hooks, component creation) on a
 * bounded pool, waiting at most the time limit. A call that overruns is interrupted and reported; its thread may stay
 * stuck in the plugin, which is why the pool is bounded and a full pool refuses further calls.
 */
public final class PluginCalls implements AutoCloseable {

    @FunctionalInterface
    public interface Call<T> {
        T call() throws Exception;
    }

    /** A hook that threw, overran its limit, or could not run. The message names the hook. */
    public static final class HookFailedException extends Exception {
        private final boolean overran;

        public HookFailedException(String message, Throwable cause) {
            this(message, cause, false);
        }

        public HookFailedException(String message, Throwable cause, boolean overran) {
            super(message, cause);
            this.overran = overran;
        }

        /** True when the hook did not return in time (or could not run because hook threads are stuck). */
        public boolean overran() {
            return overran;
        }
    }

    private static final System.Logger LOG = System.getLogger(PluginCalls.class.getName());

    private final ThreadPoolExecutor pool;
    private final Duration timeout;

    public PluginCalls(int maxThreads, Duration timeout) {
        AtomicInteger counter = new AtomicInteger();
        this.timeout = timeout;
        this.pool = new ThreadPoolExecutor(0, maxThreads, 10, TimeUnit.SECONDS, new SynchronousQueue<>(), runnable -> {
            Thread thread = new Thread(runnable, "earshot-hook-" + counter.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
    }

    Duration timeout() {
        return timeout;
    }

    public <T> T call(String what, Call<T> call) throws HookFailedException {
        return call(what, timeout, call);
    }

    public <T> T call(String what, Duration limit, Call<T> call) throws HookFailedException {
        Future<T> future;
        try {
            future = pool.submit(call::call);
        } catch (RejectedExecutionException e) {
            throw new HookFailedException(what + " could not run: all " + pool.getMaximumPoolSize()
                    + " hook threads are busy (hooks that never return?)", e, true);
        }
        try {
            return future.get(limit.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            future.cancel(true);
            throw new HookFailedException(what + " did not return within " + limit.toMillis() + " ms", e, true);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            throw new HookFailedException(what + " failed: " + describe(cause), cause);
        } catch (InterruptedException e) {
            future.cancel(true);
            Thread.currentThread().interrupt();
            throw new HookFailedException(what + " was interrupted", e);
        }
    }

    /** An error as logs and API answers show it: its message, with URLs redacted ({@link Redact#urlsIn}). */
    public static String describe(Throwable error) {
        String message = Redact.urlsIn(error.getMessage());
        return message == null || message.isBlank() ? error.getClass().getName() : message;
    }

    @Override
    public void close() {
        pool.shutdownNow();
        try {
            // Idle threads end at once; a hook stuck in a plugin keeps its thread (a daemon) and is reported.
            if (!pool.awaitTermination(1, TimeUnit.SECONDS)) {
                LOG.log(System.Logger.Level.WARNING, pool.getActiveCount() + " hook call(s) still running after close");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
