package dev.earshot.plugins.wyoming;

import dev.earshot.process.Backoff;
import dev.earshot.spi.audio.AudioFrame;
import dev.earshot.spi.engine.RecognitionListener;
import dev.earshot.spi.engine.Recognizer;
import dev.earshot.spi.transcript.Hypothesis;
import dev.earshot.wyoming.WyomingDecoder;
import dev.earshot.wyoming.WyomingEncoder;
import dev.earshot.wyoming.WyomingEvent;
import dev.earshot.wyoming.WyomingException;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static java.util.Objects.requireNonNull;

/**
 * One session's recognizer over its own Wyoming link (a child process or a TCP connection): Wyoming transcribes one
 * stream at a time per link, so each session gets one, which also isolates sessions from each other's crashes.
 *
 * <h2>Threads and flow</h2>
 * {@link #accept} puts frames into a bounded queue; the recognizer's <em>worker</em> thread opens the link, waits for
 * the program's {@code info} (answer to {@code describe}), and writes {@code transcribe}, {@code audio-start},
 * {@code audio-chunk}s and, at {@link #flush}, {@code audio-stop}. A <em>reader</em> thread per link reads
 * {@code transcript-chunk}s (partials, when the program streams) and {@code transcript} (the final). {@code flush()}
 * waits for that final, at most {@code final-timeout}. When the queue stays full for {@code write-timeout} the
 * program is hung: it is stopped and restarted.
 *
 * <h2>Supervision</h2>
 * When the link ends (the process died, the server closed, the program broke the framing or hung) the session stays
 * open: the worker restarts the link after a back-off that doubles from {@code restart-backoff-min} up to
 * {@code restart-backoff-max} (back to the minimum once a link has lived a minute). The frames queued for the dead
 * link are dropped and counted (their utterance has no final); audio that arrives while the link restarts is
 * buffered in the bounded queue and goes to the new link, and what does not fit is dropped and counted. The engine reports itself degraded meanwhile.
 *
 * <h2>Close</h2>
 * Idempotent and thread-safe; stops the link (the process is killed). Listener calls are made under a lock that
 * {@code close()} takes, so none happens after it returns; a listener may call {@code close()} itself.
 */
final class WyomingRecognizer implements Recognizer {

    /** The end of an utterance, queued behind its audio; completes true when its transcript arrived. */
    private record Flush(CompletableFuture<Boolean> done) {
    }

    private static final long RESET_BACKOFF_AFTER_NANOS = TimeUnit.SECONDS.toNanos(60);

    private final WyomingEngine engine;
    private final String session;
    private final RecognitionListener listener;
    private final WyomingSettings settings;
    private final ArrayBlockingQueue<Object> queue;
    private final ConcurrentLinkedDeque<Flush> awaiting = new ConcurrentLinkedDeque<>();
    private final Object callbackLock = new Object();
    private final Thread worker;
    /** Writes the utterance's events to the link; on the worker thread only. */
    private final AudioWriter audioOut;

    private volatile boolean closed;
    /** True while no link is ready after one ended or failed to start: audio is dropped. */
    private volatile boolean gap;
    private volatile Link link;
    private volatile Thread reader;
    private volatile String linkProblem;
    private volatile long droppedFrames;
    private volatile int restarts;

    WyomingRecognizer(WyomingEngine engine, String session, RecognitionListener listener, int number) {
        this.engine = requireNonNull(engine, "engine is null");
        this.session = requireNonNull(session, "session is null");
        this.listener = requireNonNull(listener, "listener is null");
        this.settings = engine.settings();
        this.audioOut = new AudioWriter(this.settings);
        this.queue = new ArrayBlockingQueue<>(settings.queueFrames());
        this.worker = new Thread(this::work, "earshot-wyoming-" + engine.id() + "-" + number);
        this.worker.setDaemon(true);
    }

    void start() {
        worker.start();
    }

    String session() {
        return session;
    }

    /** Frames dropped while the link was down or hung. */
    long droppedFrames() {
        return droppedFrames;
    }

    int restarts() {
        return restarts;
    }

    boolean inGap() {
        return gap;
    }

    /** The current link (for tests: the process to kill). */
    Link link() {
        return link;
    }

    @Override
    public void accept(AudioFrame frame) throws InterruptedException {
        requireNonNull(frame, "frame is null");
        ensureOpen();
        if (!frame.format().equals(settings.format())) {
            throw new IllegalArgumentException("frame format " + frame.format() + " is not the engine's " + settings.format());
        }
        // While the link restarts, audio waits in the bounded queue (queue-frames) without holding up the session:
        // what does not fit is dropped and counted.
        if (gap) {
            if (!queue.offer(frame)) {
                dropped(1);
            }
            return;
        }
        if (!queue.offer(frame, settings.writeTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
            dropped(1);
            Link current = link;
            if (current != null && !closed && !gap) {
                linkProblem = "took no audio for " + settings.writeTimeout().toMillis() + " ms (hung?)";
                current.close();
            }
        }
    }

    @Override
    public void flush() throws InterruptedException {
        ensureOpen();
        Flush mark = new Flush(new CompletableFuture<>());
        // During a restart the end of the utterance waits behind the buffered audio for the new link.
        boolean queued = gap ? queue.offer(mark) : queue.offer(mark, settings.writeTimeout().toMillis(), TimeUnit.MILLISECONDS);
        if (!queued) {
            return;
        }
        try {
            mark.done().get(settings.finalTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            engine.finalTimedOut();
            engine.logger().log(System.Logger.Level.WARNING, "engine '" + engine.id() + "', session " + session
                    + ": no transcript within " + settings.finalTimeout().toMillis() + " ms of the end of the utterance"
                    + " (" + engine.configKey("final-timeout") + ")");
        } catch (ExecutionException e) {
            // completed exceptionally never happens: completions are true or false
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("the Wyoming recognizer of session " + session + " is closed");
        }
    }

    private void dropped(long frames) {
        droppedFrames += frames;
        engine.framesDropped(frames);
    }

    @Override
    public void close() {
        synchronized (callbackLock) {
            if (closed) {
                return;
            }
            closed = true;
        }
        worker.interrupt();
        Link current = link;
        if (current != null) {
            current.close();
        }
        Thread self = Thread.currentThread();
        Thread currentReader = reader;
        try {
            if (self != worker) {
                worker.join(5_000);
            }
            if (currentReader != null && self != currentReader) {
                currentReader.join(5_000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        completeWaiting();
        engine.released(this);
    }

    // ---- worker thread ---------------------------------------------------------------------------------------------

    private void work() {
        Backoff backoff = new Backoff(settings.backoffMin(), settings.backoffMax(), Duration.ofNanos(RESET_BACKOFF_AFTER_NANOS));
        try {
            while (!closed) {
                Link current;
                try {
                    current = engine.opener().open();
                } catch (IOException | RuntimeException e) {
                    if (closed) {
                        break;
                    }
                    linkEnded("cannot start " + engine.opener().target() + ": " + e.getMessage(), backoff.afterRun(0), 0);
                    continue;
                }
                link = current;
                if (closed) {
                    current.close();
                    break;
                }
                linkProblem = null;
                long upSince = System.nanoTime();
                String reason = run(current);
                if (closed) {
                    break;
                }
                long lived = System.nanoTime() - upSince;
                linkEnded(reason, backoff.afterRun(lived), lived);
            }
        } catch (InterruptedException e) {
            // closing
        } finally {
            Link current = link;
            if (current != null) {
                current.close();
            }
            completeWaiting();
        }
    }

    /** Streams queued audio over one link until it ends or the recognizer closes; returns why the link ended. */
    private String run(Link current) throws InterruptedException {
        CountDownLatch info = new CountDownLatch(1);
        Thread linkReader = new Thread(() -> read(current, info), worker.getName() + "-reader");
        linkReader.setDaemon(true);
        reader = linkReader;
        linkReader.start();
        OutputStream out = current.output();
        try {
            WyomingEncoder.write(out, WyomingEvent.of("describe", Map.of()));
            out.flush();
            if (!info.await(settings.startTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
                if (linkReader.isAlive()) {
                    linkProblem = "did not answer 'describe' within " + settings.startTimeout().toMillis() + " ms ("
                            + engine.configKey("start-timeout") + ")";
                }
                return ended(current, linkReader);
            }
            if (!linkReader.isAlive()) {
                return ended(current, linkReader);
            }
            gap = false;
            engine.linkUp(this);
            boolean utterance = false;
            while (!closed) {
                Object item = queue.poll(100, TimeUnit.MILLISECONDS);
                if (!linkReader.isAlive()) {
                    if (item instanceof Flush flush) {
                        flush.done().complete(false);
                    } else if (item != null) {
                        dropped(1);
                    }
                    break;
                }
                if (item == null) {
                    continue;
                }
                if (item instanceof AudioFrame frame) {
                    if (!utterance) {
                        audioOut.start(out);
                        utterance = true;
                    }
                    audioOut.chunk(out, frame);
                } else if (item instanceof Flush flush) {
                    if (utterance) {
                        awaiting.add(flush);
                        WyomingEncoder.write(out, WyomingEvent.of("audio-stop", Map.of()));
                        utterance = false;
                    } else {
                        flush.done().complete(false);
                    }
                }
                if (queue.isEmpty()) {
                    out.flush();
                }
            }
        } catch (IOException e) {
            if (linkProblem == null && !closed) {
                linkProblem = "writing failed: " + e.getMessage();
            }
        }
        return ended(current, linkReader);
    }

    private String ended(Link current, Thread linkReader) throws InterruptedException {
        String problem = linkProblem;
        if (!closed && (problem == null || problem.startsWith("writing failed"))) {
            // The program closed its input or output: most likely it is exiting; let it, so that its exit code is known.
            current.awaitEnd(500);
        }
        current.close();
        linkReader.join(5_000);
        String end = current.endReason();
        boolean exited = end != null && end.startsWith("exited");
        return current.describe() + " " + (exited || problem == null ? (end == null ? "ended" : end) : problem);
    }

    /** The link ended: drop what was queued for it, count it, report degraded, wait the back-off. */
    private void linkEnded(String reason, long backoff, long livedNanos) throws InterruptedException {
        restarts++;
        long drained = 0;
        Object item;
        while ((item = queue.poll()) != null) {
            if (item instanceof Flush flush) {
                flush.done().complete(false);
            } else {
                drained++;
            }
        }
        if (drained > 0) {
            dropped(drained);
        }
        int lost = completeWaiting();
        engine.linkDown(this, reason, backoff, lost);
        // After the engine reports degraded, so that anyone who sees the gap also sees the health.
        gap = true;
        engine.logger().log(System.Logger.Level.WARNING, "engine '" + engine.id() + "', session " + session + ": "
                + reason + (livedNanos > 0 ? " after " + TimeUnit.NANOSECONDS.toMillis(livedNanos) + " ms" : "")
                + "; restarting in " + TimeUnit.NANOSECONDS.toMillis(backoff) + " ms (restart " + restarts + ", "
                + droppedFrames + " frame(s) dropped so far)");
        TimeUnit.NANOSECONDS.sleep(backoff);
    }

    /** Completes every end-of-utterance still waiting for a transcript (there will be none); returns how many. */
    private int completeWaiting() {
        int count = 0;
        Flush flush;
        while ((flush = awaiting.poll()) != null) {
            flush.done().complete(false);
            count++;
        }
        return count;
    }

    // ---- reader thread ---------------------------------------------------------------------------------------------

    private void read(Link current, CountDownLatch info) {
        try {
            readEvents(current, info);
        } finally {
            // Wakes a worker still waiting for 'info': the link has ended.
            info.countDown();
        }
    }

    private void readEvents(Link current, CountDownLatch info) {
        WyomingDecoder codec = new WyomingDecoder(settings.maxEventBytes(), settings.maxEventBytes(),
                engine.configKey("max-event-size"), engine.configKey("max-event-size"));
        InputStream in = current.input();
        StringBuilder partial = new StringBuilder();
        try {
            WyomingEvent event;
            while ((event = codec.read(in)) != null) {
                switch (event.type()) {
                    case "info" -> info.countDown();
                    case "transcript" -> {
                        partial.setLength(0);
                        emit(Hypothesis.finalResult(event.text("text").strip(), List.of()));
                        Flush flush = awaiting.poll();
                        if (flush != null) {
                            flush.done().complete(true);
                        }
                    }
                    case "transcript-start" -> partial.setLength(0);
                    case "transcript-chunk" -> {
                        partial.append(event.text("text"));
                        String text = partial.toString().strip();
                        if (!text.isEmpty()) {
                            emit(Hypothesis.partial(text));
                        }
                    }
                    case "error" -> {
                        engine.logger().log(System.Logger.Level.WARNING, "engine '" + engine.id() + "', session " + session
                                + ": " + current.describe() + " reported an error: " + event.text("text")
                                + (event.text("code").isEmpty() ? "" : " (" + event.text("code") + ")"));
                        Flush flush = awaiting.poll();
                        if (flush != null) {
                            flush.done().complete(false);
                        }
                    }
                    default -> {
                        // transcript-stop and events this engine has no use for
                    }
                }
            }
        } catch (WyomingException e) {
            linkProblem = "broke the Wyoming framing: " + e.getMessage();
        } catch (IOException e) {
            // the link ended: the worker finds out why
        }
    }

    private void emit(Hypothesis hypothesis) {
        synchronized (callbackLock) {
            if (closed) {
                return;
            }
            try {
                listener.onHypothesis(hypothesis);
            } catch (RuntimeException e) {
                engine.logger().log(System.Logger.Level.WARNING, "engine '" + engine.id() + "', session " + session
                        + ": the listener failed", e);
            }
        }
    }

    @Override
    public String toString() {
        return "WyomingRecognizer[" + engine.id() + ", session " + session + "]";
    }

}
