package dev.earshot.conformance;

import dev.earshot.spi.source.CaptureSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The {@link CaptureSource} contract. Extend it and make a source that captures a stream long enough to be cut
 * (several seconds of audio):
 *
 * <pre>{@code
 * class MySourceConformanceTest extends CaptureSourceContract {
 *     protected CaptureSource createSource() throws Exception {
 *         return new MySourceFactory().create(TestPluginContext.source("mic", Map.of(...), home));
 *     }
 * }
 * }</pre>
 *
 * <p>Checked, against a {@link RecordingSourceContext} that behaves like the host: {@code close()} is idempotent and
 * safe from several threads at once; after it returns the source calls nothing on its sessions or context and its
 * threads have ended; {@code close()} from the source's own capture thread (inside a session call) does not
 * deadlock; with a stalled consumer the source waits (paced) or drops (live) instead of buffering: frames held
 * stay within the queue bound, a paced source does not spin on refused offers, and heap does not grow.
 */
public abstract class CaptureSourceContract {

    /** Creates the source under test (not started). */
    protected abstract CaptureSource createSource() throws Exception;

    /** The bound of each session's queue in the recording context. */
    protected int queueCapacity() {
        return 16;
    }

    /** How long to wait for the source to open a session and write. */
    protected Duration startLimit() {
        return Duration.ofSeconds(20);
    }

    private final List<CaptureSource> created = new ArrayList<>();

    @AfterEach
    void closeSources() {
        created.forEach(CaptureSource::close);
    }

    private CaptureSource started(RecordingSourceContext context) throws Exception {
        CaptureSource source = createSource();
        created.add(source);
        source.start(context);
        return source;
    }

    private static void awaitFrames(RecordingSourceContext context, long frames, Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < deadline) {
            long accepted = context.sessions().stream().mapToLong(RecordingSourceContext.Session::accepted).sum();
            if (accepted >= frames) {
                return;
            }
            Thread.sleep(10);
        }
        fail("the source wrote fewer than " + frames + " frame(s) within " + limit.toMillis() + " ms");
    }

    private static List<Thread> threadsNow() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).toList();
    }

    @Test
    void closeIsIdempotentSafeFromSeveralThreadsAndFinal() throws Exception {
        List<Thread> before = threadsNow();
        RecordingSourceContext context = new RecordingSourceContext(queueCapacity());
        CaptureSource source = started(context);
        awaitFrames(context, 1, startLimit());
        Watchdog.closeFromThreads(source, 4, Duration.ofSeconds(30));
        context.forbidCalls();
        source.close();
        Thread.sleep(300);
        assertNull(context.lateCall(), () -> "the source called " + context.lateCall() + " after close() returned");
        List<Thread> left = threadsNow().stream().filter(t -> !before.contains(t))
                .filter(t -> !t.getName().startsWith("conformance-")).toList();
        assertTrue(left.isEmpty(), () -> "threads left running after close(): " + left);
    }

    @Test
    void closeFromTheSourcesOwnThreadDoesNotDeadlock() throws Exception {
        RecordingSourceContext context = new RecordingSourceContext(queueCapacity());
        AtomicReference<CaptureSource> self = new AtomicReference<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CountDownLatch closed = new CountDownLatch(1);
        context.onFirstFrame(session -> {
            try {
                self.get().close();
            } catch (Throwable e) {
                failure.set(e);
            } finally {
                closed.countDown();
            }
        });
        CaptureSource source = createSource();
        created.add(source);
        self.set(source);
        Watchdog.run(startLimit().plusSeconds(10), "close from the source's capture thread", () -> {
            source.start(context);
            closed.await();
        });
        assertNull(failure.get(), () -> "close() from the capture thread failed: " + failure.get());
        Watchdog.run(Duration.ofSeconds(10), "close again from the test thread", source::close);
    }

    @Test
    void aStalledConsumerDoesNotMakeTheSourceBuffer() throws Exception {
        RecordingSourceContext context = new RecordingSourceContext(queueCapacity());
        context.stall(true);
        long heapBefore = Watchdog.retainedHeap();
        CaptureSource source = started(context);
        awaitFrames(context, 1, startLimit());
        Thread.sleep(1_500);
        long heapAfter = Watchdog.retainedHeap();
        List<RecordingSourceContext.Session> sessions = context.sessions();
        assertFalse(sessions.isEmpty(), "no session opened");
        for (RecordingSourceContext.Session session : sessions) {
            assertTrue(session.maxQueued() <= queueCapacity(), "queue exceeded its bound");
            // A paced source waits (put/onDrain) instead of offering in a loop: a few refusals at most per wait.
            assertTrue(session.refused() < 200, () -> "a paced source retried a full queue " + session.refused()
                    + " times in 1.5 s: it should wait with put() or onDrain()");
        }
        long grown = heapAfter - heapBefore;
        assertTrue(grown < 32L * 1024 * 1024, () -> "heap grew by " + grown / 1024 + " KiB while the consumer was stalled");
        context.stall(false);
        source.close();
    }
}
