package dev.earshot.spi.source;

import dev.earshot.spi.audio.AudioFormat;
import dev.earshot.spi.audio.AudioFrame;

import java.util.concurrent.CompletionStage;

/**
 * The host's side of one audio stream: a bounded frame queue in front of one recognizer. Thread-safe: a capture
 * thread may write while another thread ends or closes the session.
 */
public interface AudioSession extends AutoCloseable {

    String id();

    AudioFormat format();

    Pacing pacing();

    /**
     * Queues a frame without blocking. For {@link Pacing#LIVE} sessions it always returns {@code true}, dropping the
     * oldest queued frame when full. For {@link Pacing#PACED} sessions it returns {@code false} and does not take
     * the frame when the queue is full; wait with {@link #onDrain} and offer it again.
     * Frames written after the session ended or closed are ignored (and {@code false} is returned).
     *
     * @throws IllegalArgumentException when the frame's format is not the session's
     */
    boolean offer(AudioFrame frame);

    /**
     * Queues a frame, waiting for room when a {@link Pacing#PACED} session's queue is full. For capture threads
     * only: never call it on an event loop. Returns {@code false} when the session has ended or closed.
     */
    boolean put(AudioFrame frame) throws InterruptedException;

    /**
     * Runs {@code whenWritable} once, on a host thread, as soon as the queue has room (at once if it has room now).
     * It must not block.
     */
    void onDrain(Runnable whenWritable);

    /**
     * Ends the stream gracefully: the queued audio is decoded, the final transcript emitted, then the session
     * closes. Idempotent.
     */
    void end();

    /** Completes when the session has closed (after its last transcript), with how and why it closed. */
    CompletionStage<SessionOutcome> closed();

    /** Aborts the session: queued audio is discarded and nothing more is emitted. Idempotent and thread-safe. */
    @Override
    void close();
}
