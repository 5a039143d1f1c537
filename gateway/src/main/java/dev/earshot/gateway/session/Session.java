package dev.earshot.gateway.session;

import dev.earshot.gateway.plugin.PluginCalls;

import dev.earshot.audio.AudioConverter;
import dev.earshot.audio.LevelMeter;
import dev.earshot.spi.audio.AudioFormat;
import dev.earshot.spi.audio.AudioFrame;
import dev.earshot.spi.engine.Recognizer;
import dev.earshot.spi.engine.RecognizerOptions;
import dev.earshot.spi.hook.SessionInfo;
import dev.earshot.spi.source.AudioSession;
import dev.earshot.spi.source.Pacing;
import dev.earshot.spi.source.SessionOutcome;
import dev.earshot.spi.transcript.Hypothesis;
import dev.earshot.spi.transcript.TranscriptEvent;
import io.vertx.core.Context;

import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;

import static java.util.Objects.requireNonNull;

/**
 * One audio stream through one pipeline: a bounded frame queue, one converter and one recognizer.
 *
 * <h2>Threads</h2>
 * <ul>
 * <li>Producers (capture threads, event loops) call {@link #offer}, {@link #put}, {@link #end}, {@link #close} from
 * any thread; they only touch the {@link FrameQueue} and volatile flags.</li>
 * <li>Decoding runs as a serial task on the {@link DecodeScheduler}: scheduled at most once at a time, so the
 * recognizer and converter are only ever used by one thread at a time, in order. It is created on the first run
 * (after the session-started hooks) and released by the last one; nothing is created per frame. A live session's
 * runs go before those of paced sessions (uploads, file sources).</li>
 * <li>The owner's {@link SessionListener} is called on the session's home context (one event loop), guarded so
 * that no call happens after {@link #close()} returns (see {@link ListenerGuard}). A listener may close the session
 * from inside a call.</li>
 * </ul>
 */
public final class Session implements AudioSession, DecodeAdmission.Load {

    /** Frames one run decodes at most: then the session queues again, behind the others waiting for a thread. */
    private static final int FRAMES_PER_RUN = 16;
    private static final System.Logger LOG = System.getLogger(Session.class.getName());

    private final SessionHost pipeline;
    private final SessionInfo info;
    private final Pacing pacing;
    private final RecognizerOptions options;
    private final SessionListener listener;
    private final FrameQueue queue;
    private final DecodeScheduler scheduler;
    /** Real-time audio ({@link Origins#LIVE}): its runs go before paced sessions' on the decoding threads. */
    private final boolean live;
    /** The level of the last frame taken for decoding (as it came in, before conversion). */
    private final LevelMeter level = new LevelMeter();
    private final CompletableFuture<SessionOutcome> closed = new CompletableFuture<>();

    /** 0 idle, 1 scheduled or running on the decode pool. */
    private final AtomicInteger scheduled = new AtomicInteger();
    private volatile boolean endRequested;
    private volatile boolean abortRequested;
    private volatile SessionOutcome abortReason = SessionOutcome.closed();

    /** Runs listener calls on the home context, guarded against close. */
    private final ListenerGuard callbacks;

    /** Serialises hypotheses, whichever thread a recognizer reports on. */
    private final Object emitLock = new Object();
    private long nextSequence;
    private String lastPartial = "";

    // Touched by the decoding task only.
    private boolean started;
    private boolean released;
    private Recognizer recognizer;
    private AudioConverter converter;
    private volatile SessionGate gate = SessionGate.NONE;
    private long audioNanos;
    private volatile long framesDecoded;
    /** Frames the queue accepted from the producer (whether or not dropped later as the oldest). */
    private final java.util.concurrent.atomic.LongAdder framesReceived = new java.util.concurrent.atomic.LongAdder();
    /** Frames and flush markers taken from the queue, in order: what {@link SessionListener#onDecoded} reports. */
    private long itemsTaken;
    private long itemsReported;

    // What the decoding task measured, for admission (DecodeAdmission): written once per task run by the decoding task,
    // read by the admission's sampler. Nothing here is touched per frame but plain fields of the decoding task.
    private final long openedNanos = System.nanoTime();
    private long runStartupNanos;
    private long lastRunNanos = RunQueueWait.WORTH_READING_NANOS;
    private long runRecognizerNanos;
    private long runFedAudioNanos;
    private volatile long busyNanos;
    private volatile long takenAudioNanos;
    private volatile long takenFrames;
    private volatile long recognizerNanos;
    private volatile long fedAudioNanos;

    public Session(SessionHost pipeline, SessionInfo info, Pacing pacing, Context home, RecognizerOptions options,
            SessionListener listener, int queueCapacity, DecodeScheduler scheduler) {
        this.pipeline = requireNonNull(pipeline, "pipeline is null");
        this.info = requireNonNull(info, "info is null");
        this.pacing = requireNonNull(pacing, "pacing is null");
        this.options = requireNonNull(options, "options is null");
        this.listener = requireNonNull(listener, "listener is null");
        this.queue = new FrameQueue(queueCapacity);
        this.scheduler = requireNonNull(scheduler, "scheduler is null");
        this.live = Origins.live(info.origin());
        this.callbacks = new ListenerGuard(info.id(), home);
    }

    @Override
    public String id() {
        return info.id();
    }

    public SessionInfo info() {
        return info;
    }

    /** Whether the session carries real-time audio ({@link Origins#LIVE}). */
    public boolean live() {
        return live;
    }

    public String pipelineName() {
        return pipeline.name();
    }

    @Override
    public AudioFormat format() {
        return info.format();
    }

    @Override
    public Pacing pacing() {
        return pacing;
    }

    public int queuedFrames() {
        return queue.size();
    }

    public int queueCapacity() {
        return queue.capacity();
    }

    public long droppedFrames() {
        return queue.dropped();
    }

    public long framesDecoded() {
        return framesDecoded;
    }

    /** The session's speech gate for the API: speech now, seconds kept from the recognizer; null when not gated. */
    public SessionGate.SpeechGateView speechGate() {
        return gate.view();
    }

    /** Level of the last frame taken for decoding: peak and RMS dBFS, NaN before the first frame. */
    public LevelMeter level() {
        return level;
    }

    /** Frames the producer handed in and the queue accepted. */
    public long framesReceived() {
        return framesReceived.sum();
    }

    public boolean isOpen() {
        return !closed.isDone();
    }

    @Override
    public boolean offer(AudioFrame frame) {
        checkFormat(frame);
        if (endRequested || abortRequested) {
            return false;
        }
        boolean accepted;
        if (pacing == Pacing.LIVE) {
            int dropped = queue.offerLive(frame);
            accepted = dropped >= 0;
            if (dropped > 0) {
                pipeline.frameDropped();
            }
        } else {
            accepted = queue.offerPaced(frame);
        }
        if (accepted) {
            pipeline.frameIn();
            framesReceived.increment();
            schedule();
        }
        return accepted;
    }

    @Override
    public boolean put(AudioFrame frame) throws InterruptedException {
        if (pacing == Pacing.LIVE) {
            return offer(frame);
        }
        checkFormat(frame);
        if (endRequested || abortRequested) {
            return false;
        }
        boolean accepted = queue.put(frame);
        if (accepted) {
            pipeline.frameIn();
            framesReceived.increment();
            schedule();
        }
        return accepted;
    }

    @Override
    public void onDrain(Runnable whenWritable) {
        requireNonNull(whenWritable, "whenWritable is null");
        queue.onDrain(() -> callbacks.dispatch(whenWritable));
    }

    @Override
    public void end() {
        if (!endRequested) {
            endRequested = true;
            schedule();
        }
    }

    /**
     * Ends the current utterance without ending the session (a client's reset): queues a flush marker behind the
     * audio already queued; when the decoding task reaches it, the recognizer reports the final of the audio before
     * it and then goes on with what comes after. Never blocks. Paced like {@link #offer}: false when the queue is
     * full (wait for {@link #onDrain}) or the session is ending or closed. The marker counts as one item in
     * {@link SessionListener#onDecoded}.
     */
    public boolean flush() {
        if (endRequested || abortRequested) {
            return false;
        }
        boolean accepted = queue.offerPaced(FrameQueue.FLUSH);
        if (accepted) {
            schedule();
        }
        return accepted;
    }

    @Override
    public CompletionStage<SessionOutcome> closed() {
        return closed.minimalCompletionStage();
    }

    /**
     * Aborts the session, as its owner. After it returns the listener is not called again (not even
     * {@link SessionListener#onClosed}); the recognizer is released by the decoding task shortly after (see
     * {@link #closed()}). Idempotent, thread-safe, and safe from inside a listener call.
     */
    @Override
    public void close() {
        abort(SessionOutcome.closed());
        callbacks.close();
    }

    /**
     * Aborts the session on behalf of someone other than its owner (an API call, a pipeline stop): queued audio is
     * discarded and the owner hears {@link SessionListener#onClosed} with the outcome as its last call.
     * Idempotent and thread-safe.
     */
    public void abort(SessionOutcome outcome) {
        if (!abortRequested) {
            abortReason = outcome;
            abortRequested = true;
            queue.close();
            schedule();
        }
    }

    private void checkFormat(AudioFrame frame) {
        requireNonNull(frame, "frame is null");
        if (!frame.format().equals(info.format())) {
            throw new IllegalArgumentException("session " + id() + ": frame format " + frame.format()
                    + " does not match the session's format " + info.format());
        }
    }

    // ---- decoding task ------------------------------------------------------------------------------------------

    /** Starts the session: its first decoding task runs the session-started hooks and creates the recognizer. */
    public void start() {
        schedule();
    }

    private void schedule() {
        if (scheduled.compareAndSet(0, 1)) {
            try {
                scheduler.execute(this::runDecodingTask, live);
            } catch (RejectedExecutionException e) {
                // Only when the gateway is shutting down. This thread holds the schedule flag, so no decoding task
                // runs for this session: releasing here is safe.
                abortRequested = true;
                abortReason = SessionOutcome.stopping("decoder unavailable (gateway stopping)");
                queue.close();
                release(abortReason);
                scheduled.set(0);
            }
        }
    }

    private void runDecodingTask() {
        long begin = System.nanoTime();
        // The CPU wait is read only around runs that are long enough for it to matter (as this session's last one
        // was): a run of microseconds (a null engine, a gated frame) is not worth two reads of /proc.
        boolean readWait = lastRunNanos >= RunQueueWait.WORTH_READING_NANOS;
        long waitedBefore = readWait ? RunQueueWait.nanos() : 0;
        try {
            step();
        } catch (Throwable error) {
            LOG.log(System.Logger.Level.ERROR, "session " + id() + " in pipeline '" + pipeline.name() + "' failed", error);
            abortRequested = true;
            abortReason = SessionOutcome.failed("error: " + PluginCalls.describe(error));
            release(abortReason);
        } finally {
            long wall = System.nanoTime() - begin;
            lastRunNanos = wall;
            measured(wall, readWait ? Math.max(0, RunQueueWait.nanos() - waitedBefore) : 0);
            scheduled.set(0);
        }
        if (!released && (abortRequested || endRequested || !queue.isEmpty())) {
            schedule();
        }
    }

    private void step() throws Exception {
        if (released) {
            return;
        }
        if (abortRequested) {
            release(abortReason);
            return;
        }
        if (!started) {
            started = true;
            long startup = System.nanoTime();
            try {
                startDecoding();
            } finally {
                // Hooks and recognizer creation happen once: not part of what decoding the stream costs.
                runStartupNanos = System.nanoTime() - startup;
            }
            if (released) {
                return;
            }
        }
        long takenBytes = 0;
        int frames = 0;
        for (int i = 0; i < FRAMES_PER_RUN && !abortRequested; i++) {
            AudioFrame frame = queue.poll();
            if (frame == null) {
                break;
            }
            if (frame == FrameQueue.FLUSH) {
                // Progress is reported on both sides of a flush, so its final is told apart from the audio's.
                reportProgress();
                itemsTaken++;
                // The converter keeps its look-ahead (a few ms when resampling): it belongs to the next utterance.
                recognizer.flush();
                reportProgress();
            } else {
                itemsTaken++;
                takenBytes += frame.length();
                frames++;
                level.measure(frame);
                gate.decode(converter.convert(frame), this::decode);
            }
        }
        if (frames > 0) {
            takenAudioNanos = takenAudioNanos + info.format().durationOf(takenBytes).toNanos();
            takenFrames = takenFrames + frames;
        }
        gate.report(pipeline);
        reportProgress();
        if (abortRequested) {
            release(abortReason);
        } else if (endRequested && queue.isEmpty()) {
            gate.decode(converter.flush(framesDecoded, Instant.now()), this::decode);
            recognizer.flush();
            gate.report(pipeline);
            release(SessionOutcome.ended());
        }
    }

    /** Runs the session-started hooks and creates the converter, gate and recognizer; releases the session if refused. */
    private void startDecoding() throws Exception {
        String failure = pipeline.startSession(this);
        if (failure != null) {
            abortRequested = true;
            abortReason = SessionOutcome.refused(failure);
            pipeline.sessionFailed();
            release(abortReason);
            return;
        }
        converter = AudioConverter.create(info.format(), pipeline.engineFormat());
        gate = SessionGate.of(pipeline.openSpeechGate(this));
        recognizer = pipeline.engine().createRecognizer(this, options, this::onHypothesis);
    }

    private void reportProgress() {
        if (itemsTaken > itemsReported && listener != SessionListener.NONE) {
            long items = itemsTaken;
            itemsReported = items;
            callbacks.dispatch(() -> listener.onDecoded(items));
        }
    }

    private void decode(AudioFrame frame) throws Exception {
        if (frame == null) {
            return;
        }
        long start = System.nanoTime();
        recognizer.accept(frame);
        long frameNanos = frame.duration().toNanos();
        long spent = System.nanoTime() - start;
        pipeline.decoded(spent, frameNanos);
        runRecognizerNanos += spent;
        runFedAudioNanos += frameNanos;
        audioNanos += frameNanos;
        framesDecoded++;
    }

    /**
     * Publishes what one run of the decoding task cost, once per run, on the decoding task: its wall time less the
     * time its thread waited for a CPU ({@link RunQueueWait}), less the session's start-up; the recognizer's share of
     * the run scaled the same way.
     */
    private void measured(long wallNanos, long waitedNanos) {
        long running = Math.max(0, wallNanos - Math.min(waitedNanos, wallNanos));
        double share = wallNanos == 0 ? 1 : (double) running / wallNanos;
        busyNanos = busyNanos + Math.max(0, running - (long) (runStartupNanos * share));
        runStartupNanos = 0;
        if (runFedAudioNanos > 0) {
            recognizerNanos = recognizerNanos + (long) (runRecognizerNanos * share);
            fedAudioNanos = fedAudioNanos + runFedAudioNanos;
            runRecognizerNanos = 0;
            runFedAudioNanos = 0;
        }
    }

    // ---- what admission reads (DecodeAdmission.Load) --------------------------------------------------------------

    @Override
    public String origin() {
        return info.origin();
    }

    @Override
    public boolean ending() {
        return endRequested || abortRequested || released;
    }

    @Override
    public long openedNanos() {
        return openedNanos;
    }

    @Override
    public long busyNanos() {
        return busyNanos;
    }

    @Override
    public long takenAudioNanos() {
        return takenAudioNanos;
    }

    @Override
    public long recognizerNanos() {
        return recognizerNanos;
    }

    @Override
    public long fedAudioNanos() {
        return fedAudioNanos;
    }

    /** Decoding-thread seconds this session cost per second of its audio so far; NaN before half a second of it. */
    public double decodeCost() {
        long taken = takenAudioNanos;
        return taken < 500_000_000L ? Double.NaN : (double) busyNanos / taken;
    }

    /**
     * How far decoding is behind real time, in seconds: the audio waiting in the queue, but no more than the time
     * since the session opened less the audio decoded so far, so that a client sending faster than real time (a file
     * streamed as fast as the socket allows) is never "behind", nor one that paused.
     */
    @Override
    public double lagSeconds(long nowNanos) {
        int queued = queue.size();
        if (queued == 0) {
            return 0;
        }
        long frames = takenFrames;
        long taken = takenAudioNanos;
        double frameSeconds = frames == 0 ? 0.1 : taken / 1e9 / frames;
        double behindClock = (nowNanos - openedNanos - taken) / 1e9;
        return Math.max(0, Math.min(queued * frameSeconds, behindClock));
    }

    private void onHypothesis(Hypothesis decoded) {
        Hypothesis hypothesis = gate.restamp(decoded);
        synchronized (emitLock) {
            if (released || abortRequested) {
                return;
            }
            String text = hypothesis.text();
            if (!hypothesis.isFinal()) {
                if (text.isEmpty() || text.equals(lastPartial)) {
                    return;
                }
                lastPartial = text;
            } else {
                lastPartial = "";
                if (text.isEmpty()) {
                    return;
                }
            }
            long sequence = nextSequence++;
            TranscriptEvent event = new TranscriptEvent(id() + "-" + sequence,
                    hypothesis.isFinal() ? TranscriptEvent.Type.FINAL : TranscriptEvent.Type.PARTIAL,
                    pipeline.name(), id(), sequence, text, hypothesis.words(), hypothesis.alternatives(),
                    gate.streamSeconds(audioNanos / 1e9), Instant.now());
            pipeline.publish(event);
            callbacks.dispatch(() -> listener.onTranscript(event));
        }
    }

    /** Releases the recognizer and everything else the session holds. Decoding task only; runs once. */
    private void release(SessionOutcome reason) {
        if (released) {
            return;
        }
        synchronized (emitLock) {
            released = true;
        }
        queue.close();
        if (recognizer != null) {
            pipeline.engine().releaseRecognizer(this, recognizer);
            recognizer = null;
        }
        gate.close();
        pipeline.stopSession(this, reason, started);
        completeClosed(reason);
        callbacks.dispatchLast(() -> listener.onClosed(reason));
    }

    private void completeClosed(SessionOutcome reason) {
        closed.complete(reason);
    }

    @Override
    public String toString() {
        return "Session[" + id() + ", pipeline " + pipeline.name() + ", " + info.origin() + "]";
    }
}
