package dev.earshot.process;

import java.time.Duration;

import static java.util.Objects.requireNonNull;

/**
 * Restart back-off: the wait before the next start doubles after each failure from {@code min} up to {@code max},
 * and goes back to {@code min} after a run that lived at least {@code healthyAfter}. Not thread-safe: one supervisor
 * thread owns it.
 */
public final class Backoff {

    private final long minNanos;
    private final long maxNanos;
    private final long healthyNanos;
    private long nextNanos;

    public Backoff(Duration min, Duration max, Duration healthyAfter) {
        requireNonNull(min, "min is null");
        requireNonNull(max, "max is null");
        requireNonNull(healthyAfter, "healthyAfter is null");
        if (min.isNegative() || min.isZero() || max.compareTo(min) < 0) {
            throw new IllegalArgumentException("back-off needs 0 < min <= max, got " + min + " and " + max);
        }
        this.minNanos = min.toNanos();
        this.maxNanos = max.toNanos();
        this.healthyNanos = healthyAfter.toNanos();
        this.nextNanos = minNanos;
    }

    /**
     * The wait before the next start, after a run that lived {@code livedNanos} ended; the wait after it is doubled.
     */
    public long afterRun(long livedNanos) {
        if (livedNanos >= healthyNanos) {
            nextNanos = minNanos;
        }
        long wait = nextNanos;
        nextNanos = Math.min(maxNanos, nextNanos * 2);
        return wait;
    }

    /** The wait the next failure gets, without consuming it. */
    public long peekNanos() {
        return nextNanos;
    }

    public void reset() {
        nextNanos = minNanos;
    }
}
