package dev.earshot.plugins.file;

import dev.earshot.spi.audio.AudioFormat;
import dev.earshot.spi.audio.AudioFrame;
import dev.earshot.spi.source.AudioSession;
import dev.earshot.spi.source.Pacing;
import dev.earshot.spi.source.SessionOutcome;

import java.io.ByteArrayOutputStream;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * A session as the host runs it: a bounded queue of 4 frames drained by a consumer thread (the "recognizer"), which
 * can be slowed down or held, so a producer that ignores back-pressure would show. Counts every call, and every call
 * made after the test declared the source closed ({@link #sourceClosed}).
 */
final class FakeSession implements AudioSession {

    static final int CAPACITY = 4;

    final String origin;
    final AudioFormat format;
    final Pacing pacing;
    final Map<String, String> attributes;

    private final ArrayBlockingQueue<AudioFrame> queue = new ArrayBlockingQueue<>(CAPACITY);
    private final ByteArrayOutputStream received = new ByteArrayOutputStream();
    final List<Long> sequences = new CopyOnWriteArrayList<>();
    final List<Integer> frameLengths = new CopyOnWriteArrayList<>();
    final List<String> calls = new CopyOnWriteArrayList<>();
    final AtomicInteger puts = new AtomicInteger();
    final AtomicInteger offers = new AtomicInteger();
    final AtomicInteger ends = new AtomicInteger();
    final AtomicInteger closes = new AtomicInteger();
    final AtomicInteger blockedPuts = new AtomicInteger();
    final AtomicInteger dropped = new AtomicInteger();
    final AtomicInteger callsAfterSourceClosed = new AtomicInteger();
    /** Released when the consumer has drained the queue after end(), or when the session closed. */
    final CountDownLatch finished = new CountDownLatch(1);
    private final CompletableFuture<SessionOutcome> closed = new CompletableFuture<>();

    volatile boolean sourceClosed;
    volatile long consumerDelayMillis;
    volatile long endNanos;
    /** Runs inside put/offer, on the caller's thread, before the frame is queued. */
    volatile Consumer<AudioFrame> onWrite = frame -> {
    };
    private volatile boolean ended;
    private volatile boolean isClosed;
    private volatile CountDownLatch hold = new CountDownLatch(0);

    FakeSession(String origin, AudioFormat format, Pacing pacing, Map<String, String> attributes) {
        this.origin = origin;
        this.format = format;
        this.pacing = pacing;
        this.attributes = attributes;
    }

    /** Stops the consumer from taking frames until {@link #release()}. Call from the context's setup, before frames flow. */
    void hold() {
        hold = new CountDownLatch(1);
    }

    void release() {
        hold.countDown();
    }

    void startConsumer() {
        Thread consumer = new Thread(this::consume, "fake-consumer-" + origin);
        consumer.setDaemon(true);
        consumer.start();
    }

    byte[] received() {
        synchronized (received) {
            return received.toByteArray();
        }
    }

    /** Simulates the host closing the session on its own (e.g. the pipeline stops). */
    void hostClose() {
        isClosed = true;
        queue.clear();
        closed.complete(SessionOutcome.aborted("closed by host"));
        finished.countDown();
    }

    @Override
    public String id() {
        return "fake-1";
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
        record("offer");
        offers.incrementAndGet();
        check(frame);
        onWrite.accept(frame);
        if (ended || isClosed) {
            return false;
        }
        if (pacing == Pacing.PACED) {
            return queue.offer(frame);
        }
        while (!queue.offer(frame)) {
            if (queue.poll() != null) {
                dropped.incrementAndGet();
            }
        }
        return true;
    }

    @Override
    public boolean put(AudioFrame frame) throws InterruptedException {
        record("put");
        puts.incrementAndGet();
        check(frame);
        onWrite.accept(frame);
        if (ended || isClosed) {
            return false;
        }
        if (queue.offer(frame)) {
            return true;
        }
        blockedPuts.incrementAndGet();
        while (!queue.offer(frame, 10, TimeUnit.MILLISECONDS)) {
            if (ended || isClosed) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void onDrain(Runnable whenWritable) {
        record("onDrain");
        whenWritable.run();
    }

    @Override
    public void end() {
        record("end");
        ends.incrementAndGet();
        endNanos = System.nanoTime();
        ended = true;
    }

    @Override
    public CompletionStage<SessionOutcome> closed() {
        return closed;
    }

    @Override
    public void close() {
        record("close");
        closes.incrementAndGet();
        isClosed = true;
        queue.clear();
        closed.complete(SessionOutcome.closed());
        finished.countDown();
    }

    private void check(AudioFrame frame) {
        if (!frame.format().equals(format)) {
            throw new IllegalArgumentException("frame format " + frame.format() + " is not the session's " + format);
        }
    }

    private void record(String call) {
        calls.add(call);
        if (sourceClosed) {
            callsAfterSourceClosed.incrementAndGet();
        }
    }

    private void consume() {
        try {
            hold.await();
            while (true) {
                boolean wasEnded = ended;
                AudioFrame frame = queue.poll(5, TimeUnit.MILLISECONDS);
                if (frame != null) {
                    long delay = consumerDelayMillis;
                    if (delay > 0) {
                        Thread.sleep(delay);
                    }
                    byte[] pcm = new byte[frame.length()];
                    frame.copyTo(pcm, 0);
                    synchronized (received) {
                        received.writeBytes(pcm);
                    }
                    sequences.add(frame.sequence());
                    frameLengths.add(frame.length());
                } else if (isClosed || (wasEnded && queue.isEmpty())) {
                    break;
                }
                hold.await();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closed.complete(isClosed ? SessionOutcome.closed() : SessionOutcome.ended());
        finished.countDown();
    }
}
