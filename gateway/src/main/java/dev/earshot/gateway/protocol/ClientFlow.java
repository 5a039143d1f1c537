package dev.earshot.gateway.protocol;

import io.vertx.core.Context;
import io.vertx.core.streams.ReadStream;
import io.vertx.core.streams.WriteStream;

import java.time.Duration;
import java.util.EnumSet;

import static java.util.Objects.requireNonNull;

/**
 * Reading from one protocol client, paused while any of several reasons holds, and its replies bounded by its write
 * queue: after each reply {@link #wrote()} checks the queue; when it is full, reading pauses until it drains, so a
 * client that does not read its replies stops being read (TCP pushes back on it) instead of growing our memory. A
 * queue that stays full for the stall timeout calls {@code onStalled} (the connection closes the client).
 *
 * <p>Not thread-safe: the connection's event loop calls everything, and the handlers run there.
 */
public final class ClientFlow {

    /** Why reading is paused. */
    public enum Hold {
        /** The session's frame queue is full; released by its drain signal. */
        SESSION,
        /** A request waits for the previous one's reply (protocol order). */
        ORDER,
        /** The client's write queue is full; released when it drains. */
        WRITE
    }

    private final Context context;
    private final ReadStream<?> in;
    private final WriteStream<?> out;
    private final Duration stallTimeout;
    private final Runnable onDrained;
    private final Runnable onStalled;
    private final EnumSet<Hold> holds = EnumSet.noneOf(Hold.class);
    private long stallTimer = -1;
    private boolean closed;

    /**
     * @param onDrained called after the write queue drained and reading resumed (e.g. to go on with buffered input)
     * @param onStalled called once when the write queue stayed full for {@code stallTimeout}
     */
    public ClientFlow(Context context, ReadStream<?> in, WriteStream<?> out, Duration stallTimeout, Runnable onDrained,
                      Runnable onStalled) {
        this.context = requireNonNull(context, "context is null");
        this.in = requireNonNull(in, "in is null");
        this.out = requireNonNull(out, "out is null");
        this.stallTimeout = requireNonNull(stallTimeout, "stallTimeout is null");
        this.onDrained = requireNonNull(onDrained, "onDrained is null");
        this.onStalled = requireNonNull(onStalled, "onStalled is null");
    }

    public void hold(Hold reason) {
        if (closed) {
            return;
        }
        if (holds.isEmpty()) {
            in.pause();
        }
        holds.add(reason);
    }

    public void release(Hold reason) {
        if (holds.remove(reason) && holds.isEmpty() && !closed) {
            in.resume();
        }
    }

    public boolean held(Hold reason) {
        return holds.contains(reason);
    }

    /** False while the write queue is full: produce no more replies until it drains. */
    public boolean writable() {
        return !holds.contains(Hold.WRITE);
    }

    /** Call after every write to the client. */
    public void wrote() {
        if (closed || holds.contains(Hold.WRITE) || !out.writeQueueFull()) {
            return;
        }
        hold(Hold.WRITE);
        drainHandler(ignored -> {
            cancelStallTimer();
            if (!closed && holds.contains(Hold.WRITE)) {
                release(Hold.WRITE);
                onDrained.run();
            }
        });
        stallTimer = context.owner().setTimer(Math.max(1, stallTimeout.toMillis()), id -> {
            stallTimer = -1;
            if (!closed && holds.contains(Hold.WRITE)) {
                onStalled.run();
            }
        });
    }

    /** No more pauses, resumes or callbacks; idempotent. */
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        cancelStallTimer();
        if (holds.contains(Hold.WRITE)) {
            drainHandler(null);
        }
        if (!holds.isEmpty()) {
            holds.clear();
            in.resume();
        }
    }

    /** A closed WebSocket refuses handlers (IllegalStateException): then there is nothing left to drain. */
    private void drainHandler(io.vertx.core.Handler<Void> handler) {
        try {
            out.drainHandler(handler);
        } catch (IllegalStateException closed) {
            // closed meanwhile
        }
    }

    private void cancelStallTimer() {
        if (stallTimer >= 0) {
            context.owner().cancelTimer(stallTimer);
            stallTimer = -1;
        }
    }
}
