package dev.earshot.spi.source;

/** How a session's bounded frame queue treats a producer that is faster than decoding. */
public enum Pacing {
    /**
     * Paced by demand (files, uploads): nothing is dropped; {@link AudioSession#put} waits for room and
     * {@link AudioSession#offer} refuses the frame, so the producer goes exactly as fast as the recognizer.
     */
    PACED,
    /**
     * Live capture (microphones, network streams): the producer never waits; when the queue is full the oldest
     * queued frame is dropped and counted.
     */
    LIVE
}
