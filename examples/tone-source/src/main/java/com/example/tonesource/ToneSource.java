package com.example.tonesource;

import dev.earshot.spi.audio.AudioFormat;
import dev.earshot.spi.audio.AudioFrame;
import dev.earshot.spi.source.AudioSession;
import dev.earshot.spi.source.CaptureSource;
import dev.earshot.spi.source.Pacing;
import dev.earshot.spi.source.SourceContext;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * Writes 20 ms frames of the tone in real time from a thread of its own, into {@link Pacing#LIVE} sessions: it never
 * waits for the pipeline (the host drops the oldest frames when decoding falls behind), so it holds one frame at a
 * time whatever the consumer does.
 *
 * <p>{@link #close()} stops the thread, waits for it (unless called from it) and then ends the current session, so
 * that after it returns nothing is called on the session or the context.
 */
final class ToneSource implements CaptureSource {

    private static final Duration FRAME = Duration.ofMillis(20);
    private static final Duration RETRY = Duration.ofSeconds(1);

    private final String name;
    private final Tone tone;
    private final Duration sessionLength;
    private final System.Logger logger;
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile Thread thread;
    private volatile AudioSession session;

    ToneSource(String name, Tone tone, Duration sessionLength, System.Logger logger) {
        this.name = name;
        this.tone = tone;
        this.sessionLength = sessionLength;
        this.logger = logger;
    }

    @Override
    public void start(SourceContext context) {
        Thread capture = new Thread(() -> run(context), "tone-source-" + name);
        capture.setDaemon(true);
        thread = capture;
        capture.start();
    }

    private void run(SourceContext context) {
        AudioFormat format = tone.format();
        int samplesPerFrame = format.sampleRate() * (int) FRAME.toMillis() / 1000;
        long sessionSamples = sessionLength.isZero() ? Long.MAX_VALUE : sessionLength.toNanos() * format.sampleRate() / 1_000_000_000L;
        short[] samples = new short[samplesPerFrame];
        while (!closed.get()) {
            AudioSession current;
            try {
                current = context.openSession("tone:" + tone.frequency() + "Hz", format, Pacing.LIVE, Map.of(
                        "frequency", tone.frequency() + " Hz", "level", tone.levelDb() + " dBFS",
                        "beep", tone.beep().toMillis() + " ms", "pause", tone.pause().toMillis() + " ms"));
            } catch (IllegalStateException refused) {
                logger.log(System.Logger.Level.WARNING, "source '" + name + "': no session (" + refused.getMessage()
                        + "); trying again in " + RETRY.toMillis() + " ms");
                if (!pause(RETRY.toNanos())) {
                    return;
                }
                continue;
            }
            session = current;
            if (closed.get()) {
                return; // close() ran meanwhile; it ends the session it finds
            }
            long next = System.nanoTime();
            long written = 0;
            long sequence = 0;
            boolean refused = false;
            while (!closed.get() && written < sessionSamples) {
                int count = (int) Math.min(samplesPerFrame, sessionSamples - written);
                for (int i = 0; i < count; i++) {
                    samples[i] = tone.sample(written + i);
                }
                if (!current.offer(AudioFrame.ofSamples(format, samples, count, sequence++, Instant.now()))) {
                    refused = true; // the host closed the session (a hook refused it, the pipeline is stopping)
                    break;
                }
                written += count;
                next += FRAME.toNanos();
                if (!pause(next - System.nanoTime())) {
                    return;
                }
            }
            if (closed.get()) {
                return;
            }
            // The session's length is reached, or the host closed it: end it (a no-op when closed) and go on,
            // after a pause when the host closed it, so that a refusing hook does not see a session per frame.
            session = null;
            current.end();
            if (refused) {
                logger.log(System.Logger.Level.INFO, "source '" + name + "': session " + current.id()
                        + " closed by the host; a new one in " + RETRY.toMillis() + " ms");
                if (!pause(RETRY.toNanos())) {
                    return;
                }
            }
        }
    }

    /** Sleeps; false when interrupted or closed, i.e. the thread should stop. */
    private boolean pause(long nanos) {
        if (nanos > 0) {
            LockSupport.parkNanos(this, nanos);
        }
        return !closed.get() && !Thread.currentThread().isInterrupted();
    }

    @Override
    public void close() {
        Thread capture = thread;
        boolean first = closed.compareAndSet(false, true);
        if (capture != null && capture != Thread.currentThread()) {
            LockSupport.unpark(capture);
            capture.interrupt();
            try {
                capture.join(TimeUnit.SECONDS.toMillis(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        AudioSession current = session;
        if (first && current != null) {
            session = null;
            current.end();
        }
    }
}
