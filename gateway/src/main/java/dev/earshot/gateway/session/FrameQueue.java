package dev.earshot.gateway.session;

import dev.earshot.spi.audio.AudioFormat;
import dev.earshot.spi.audio.AudioFrame;

import java.time.Instant;
import java.util.ArrayDeque;

/**
 * The bounded, thread-safe hand-off between a session's producer (a capture thread, an event loop) and its decoding
 * worker. Two overflow policies: paced producers wait or are refused ({@link #offerPaced}, {@link #put}); live
 * producers never wait and the oldest frame is dropped ({@link #offerLive}).
 */
public final class FrameQueue {

    /**
     * The flush marker ({@link Session#flush()}): queued like a frame, in order, and counted against the capacity
     * like one, so a client repeating resets is paced like one sending audio. Compared by identity.
     */
    static final AudioFrame FLUSH = AudioFrame.copyOf(AudioFormat.SPEECH_16K, new byte[0], 0, 0, 0, Instant.EPOCH);

    private final ArrayDeque<AudioFrame> frames;
    private final int capacity;
    private boolean closed;
    private int waitingProducers;
    private long dropped;
    private Runnable drainHandler;

    FrameQueue(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1: " + capacity);
        }
        this.capacity = capacity;
        this.frames = new ArrayDeque<>(Math.min(capacity, 64));
    }

    /** Adds the frame, dropping the oldest when full. Returns the number of frames dropped (0 or 1), or -1 when closed. */
    synchronized int offerLive(AudioFrame frame) {
        if (closed) {
            return -1;
        }
        int droppedNow = 0;
        if (frames.size() >= capacity) {
            frames.pollFirst();
            dropped++;
            droppedNow = 1;
        }
        frames.addLast(frame);
        return droppedNow;
    }

    /** Adds the frame if there is room. */
    synchronized boolean offerPaced(AudioFrame frame) {
        if (closed || frames.size() >= capacity) {
            return false;
        }
        frames.addLast(frame);
        return true;
    }

    /** Waits for room, then adds the frame. Returns false when the queue closed meanwhile. */
    synchronized boolean put(AudioFrame frame) throws InterruptedException {
        while (!closed && frames.size() >= capacity) {
            waitingProducers++;
            try {
                wait();
            } finally {
                waitingProducers--;
            }
        }
        if (closed) {
            return false;
        }
        frames.addLast(frame);
        return true;
    }

    /** Takes the oldest frame, or null. Runs a pending drain handler (outside the lock) once room has appeared. */
    AudioFrame poll() {
        AudioFrame frame;
        Runnable drain = null;
        synchronized (this) {
            frame = frames.pollFirst();
            if (frame != null && waitingProducers > 0) {
                notifyAll();
            }
            if (drainHandler != null && frames.size() <= capacity / 2) {
                drain = drainHandler;
                drainHandler = null;
            }
        }
        if (drain != null) {
            drain.run();
        }
        return frame;
    }

    /** Registers a handler run once when the queue has room; runs it at once if it has room now; never if closed. */
    void onDrain(Runnable handler) {
        boolean now;
        synchronized (this) {
            if (closed) {
                return;
            }
            now = frames.size() < capacity;
            drainHandler = now ? null : handler;
        }
        if (now) {
            handler.run();
        }
    }

    synchronized boolean isEmpty() {
        return frames.isEmpty();
    }

    synchronized int size() {
        return frames.size();
    }

    int capacity() {
        return capacity;
    }

    synchronized long dropped() {
        return dropped;
    }

    /** Discards queued frames, refuses new ones and wakes waiting producers. Idempotent. */
    synchronized void close() {
        closed = true;
        frames.clear();
        drainHandler = null;
        notifyAll();
    }
}
