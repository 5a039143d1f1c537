package dev.earshot.conformance;

import dev.earshot.spi.audio.AudioFormat;
import dev.earshot.spi.audio.AudioFrame;
import dev.earshot.spi.source.AudioSession;
import dev.earshot.spi.source.Pacing;
import dev.earshot.spi.source.SourceContext;
import dev.earshot.spi.source.SessionOutcome;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * A {@link SourceContext} whose sessions behave like the host's: a bounded frame queue with the host's
 * {@link Pacing} rules, a consumer that drains it (or is stalled, to play a slow recognizer), {@code end()} and
 * {@code close()}. It records every call a source makes, and whether one came after a given moment (the source's
 * close returning).
 */
public final class RecordingSourceContext implements SourceContext {

    private final int capacity;
    private final List<Session> sessions = new CopyOnWriteArrayList<>();
    private final AtomicLong calls = new AtomicLong();
    private final AtomicReference<String> lateCall = new AtomicReference<>();
    private volatile boolean stalled;
    private volatile boolean callsForbidden;
    private volatile Consumer<Session> onFirstFrame = session -> { };

    public RecordingSourceContext(int capacity) {
        this.capacity = capacity;
    }

    /** Stops (true) or resumes (false) draining every session's queue. */
    public void stall(boolean stall) {
        this.stalled = stall;
        if (!stall) {
            sessions.forEach(Session::drain);
        }
    }

    /** From now on any call by the source is recorded as late (see {@link #lateCall()}). */
    public void forbidCalls() {
        callsForbidden = true;
    }

    /** The first call the source made after {@link #forbidCalls()}, or null. */
    public String lateCall() {
        return lateCall.get();
    }

    /** Runs {@code action} on the source's thread when a session gets its first frame (e.g. to close the source). */
    public void onFirstFrame(Consumer<Session> action) {
        this.onFirstFrame = action;
    }

    public List<Session> sessions() {
        return List.copyOf(sessions);
    }

    /** Calls made by the source on this context and its sessions. */
    public long calls() {
        return calls.get();
    }

    private void called(String what) {
        calls.incrementAndGet();
        if (callsForbidden) {
            lateCall.compareAndSet(null, what + " on " + Thread.currentThread().getName());
        }
    }

    @Override
    public AudioSession openSession(String origin, AudioFormat format, Pacing pacing, Map<String, String> attributes) {
        called("openSession(" + origin + ")");
        Session session = new Session("s" + (sessions.size() + 1), format, pacing);
        sessions.add(session);
        return session;
    }

    /** One recorded session. */
    public final class Session implements AudioSession {
        private final String id;
        private final AudioFormat format;
        private final Pacing pacing;
        private final ArrayDeque<AudioFrame> queue = new ArrayDeque<>();
        private final CompletableFuture<SessionOutcome> closed = new CompletableFuture<>();
        private final List<Runnable> drainWaiters = new ArrayList<>();
        private long accepted;
        private long refused;
        private long dropped;
        private long consumedBytes;
        private boolean ended;
        private int maxQueued;

        Session(String id, AudioFormat format, Pacing pacing) {
            this.id = id;
            this.format = format;
            this.pacing = pacing;
        }

        @Override
        public String id() {
            return id;
        }

        @Override
        public AudioFormat format() {
            return format;
        }

        @Override
        public Pacing pacing() {
            return pacing;
        }

        @Override
        public boolean offer(AudioFrame frame) {
            called("offer");
            boolean first;
            synchronized (this) {
                if (!frame.format().equals(format)) {
                    throw new IllegalArgumentException("frame format " + frame.format() + " is not the session's " + format);
                }
                if (ended || closed.isDone()) {
                    return false;
                }
                drain();
                if (queue.size() >= capacity) {
                    if (pacing == Pacing.PACED) {
                        refused++;
                        return false;
                    }
                    queue.removeFirst();
                    dropped++;
                }
                queue.addLast(frame);
                maxQueued = Math.max(maxQueued, queue.size());
                first = accepted++ == 0;
                drain();
            }
            if (first) {
                onFirstFrame.accept(this);
            }
            return true;
        }

        @Override
        public boolean put(AudioFrame frame) throws InterruptedException {
            while (true) {
                synchronized (this) {
                    if (ended || closed.isDone()) {
                        called("put");
                        return false;
                    }
                    drain();
                    if (queue.size() < capacity || pacing == Pacing.LIVE) {
                        break;
                    }
                    wait(20);
                }
            }
            return offer(frame);
        }

        @Override
        public void onDrain(Runnable whenWritable) {
            called("onDrain");
            boolean now;
            synchronized (this) {
                drain();
                now = queue.size() < capacity;
                if (!now) {
                    drainWaiters.add(whenWritable);
                }
            }
            if (now) {
                whenWritable.run();
            }
        }

        /** The consumer: takes everything queued unless stalled. */
        synchronized void drain() {
            if (stalled) {
                return;
            }
            AudioFrame frame;
            while ((frame = queue.pollFirst()) != null) {
                consumedBytes += frame.length();
            }
            notifyAll();
            if (!drainWaiters.isEmpty()) {
                List<Runnable> waiters = List.copyOf(drainWaiters);
                drainWaiters.clear();
                waiters.forEach(Runnable::run);
            }
        }

        @Override
        public void end() {
            called("end");
            synchronized (this) {
                ended = true;
                notifyAll();
            }
            closed.complete(SessionOutcome.ended());
        }

        @Override
        public CompletionStage<SessionOutcome> closed() {
            return closed;
        }

        @Override
        public void close() {
            called("close");
            synchronized (this) {
                queue.clear();
                notifyAll();
            }
            closed.complete(SessionOutcome.closed());
        }

        public synchronized long accepted() {
            return accepted;
        }

        public synchronized long refused() {
            return refused;
        }

        public synchronized long dropped() {
            return dropped;
        }

        public synchronized int maxQueued() {
            return maxQueued;
        }

        public synchronized long consumedBytes() {
            return consumedBytes;
        }

        public boolean isClosed() {
            return closed.isDone();
        }
    }
}
