package dev.earshot.gateway.speech;

import dev.earshot.spi.audio.AudioFrame;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * Lets through to the recognizer only the audio around speech, for one session.
 *
 * <ul>
 *   <li>Each frame is judged window by window by the detector. Two windows in a row at or above {@code START} open
 *       the gate.</li>
 *   <li>When it opens, the last {@code preRoll} of audio (kept in a bounded buffer) is let through first, so that
 *       the first word is not cut.</li>
 *   <li>While open, every frame goes through. It closes after {@code hangOver} without a window at or above
 *       {@code STAY}: the recognizer hears the silence after the last word and finds its endpoint.</li>
 *   <li>Closed, frames are held only as pre-roll and then dropped: never decoded, so room tone never becomes words.</li>
 * </ul>
 *
 * The recognizer's clock only counts what it was given. {@link #streamSeconds} maps a time on that clock (a word's
 * start or end) back to the stream's own clock, so word timings are as if nothing had been skipped.
 *
 * <p>One thread at a time (the session's decoding task). Memory is bounded: the pre-roll buffer, a window's carry,
 * and at most {@value #MAX_SEGMENTS} clock segments.
 */
public final class SpeechGate {

    /** Probability that opens the gate (the detector's usual threshold). */
    static final float START = 0.5f;
    /** Probability below which a window counts as silence while open (hysteresis). */
    static final float STAY = 0.35f;
    /** Windows in a row at or above {@code START} that open the gate. */
    static final int START_WINDOWS = 2;
    /** Clock segments kept for restamping; words older than the oldest kept map through it. */
    static final int MAX_SEGMENTS = 256;

    /** What the gate does with frames of one session: the detector of its stream, and its settings. */
    public interface Detector {
        /** Samples per window. */
        int window();

        /** The probability that {@code window()} samples from {@code offset} hold speech. */
        float probability(short[] samples, int offset);

        /** Releases the detector's state (native memory); nothing is judged after. */
        default void close() {
        }
    }

    /** One stretch that went through: from {@code decoded} seconds on the recognizer's clock = {@code stream}. */
    private record Segment(double decoded, double stream) {
    }

    private final Detector detector;
    private final int sampleRate;
    private final long preRollSamples;
    private final long hangOverSamples;

    private final ArrayDeque<AudioFrame> preRoll = new ArrayDeque<>();
    private long preRollHeld;
    private final short[] carry;
    private int carried;
    private boolean open;
    private int startRun;
    private long silentSamples;
    private final ArrayDeque<Segment> segments = new ArrayDeque<>();

    private long streamSamples;
    private long decodedSamples;
    private long gatedFrames;
    private long gatedSamples;
    private long detectorNanos;

    public SpeechGate(Detector detector, int sampleRate, Duration preRoll, Duration hangOver) {
        this.detector = detector;
        this.sampleRate = sampleRate;
        this.preRollSamples = preRoll.toMillis() * sampleRate / 1000;
        this.hangOverSamples = hangOver.toMillis() * sampleRate / 1000;
        this.carry = new short[detector.window()];
    }

    /**
     * Judges one frame (mono 16-bit, at the gate's rate) and returns what to decode now, in order: nothing while
     * closed; the pre-roll and this frame when it opens; this frame while open.
     */
    public List<AudioFrame> accept(AudioFrame frame) {
        int n = frame.sampleCount();
        boolean speech = judge(frame);
        long frameStart = streamSamples;
        streamSamples += n;
        if (open) {
            silentSamples = speech ? 0 : silentSamples + n;
            if (silentSamples > hangOverSamples) {
                open = false;
                silentSamples = 0;
                startRun = 0;
            } else {
                decodedSamples += n;
                return List.of(frame);
            }
        }
        if (!speech) {
            hold(frame);
            return List.of();
        }
        open = true;
        silentSamples = 0;
        List<AudioFrame> out = new ArrayList<>(preRoll.size() + 1);
        long start = frameStart - preRollHeld;
        out.addAll(preRoll);
        out.add(frame);
        // The pre-roll was counted as gated while held; it is decoded after all.
        gatedFrames -= preRoll.size();
        gatedSamples -= preRollHeld;
        preRoll.clear();
        preRollHeld = 0;
        if (segments.size() == MAX_SEGMENTS) {
            segments.removeFirst();
        }
        segments.addLast(new Segment(seconds(decodedSamples), seconds(start)));
        decodedSamples += streamSamples - start;
        return out;
    }

    private boolean judge(AudioFrame frame) {
        long began = System.nanoTime();
        int window = carry.length;
        boolean speech = false;
        for (int i = 0, n = frame.sampleCount(); i < n; i++) {
            carry[carried++] = frame.sample(i);
            if (carried == window) {
                float p = detector.probability(carry, 0);
                if (open) {
                    speech |= p >= STAY;
                } else {
                    // Opening takes two windows in a row (64 ms at 16 kHz): a lone click or the onset of a tone
                    // is not speech, and the pre-roll gives back what the second window costs.
                    startRun = p >= START ? startRun + 1 : 0;
                    speech |= startRun >= START_WINDOWS;
                }
                carried = 0;
            }
        }
        detectorNanos += System.nanoTime() - began;
        return speech;
    }

    private void hold(AudioFrame frame) {
        preRoll.addLast(frame);
        preRollHeld += frame.sampleCount();
        gatedFrames++;
        gatedSamples += frame.sampleCount();
        while (preRoll.size() > 1 && preRollHeld - preRoll.peekFirst().sampleCount() >= preRollSamples) {
            preRollHeld -= preRoll.removeFirst().sampleCount();
        }
    }

    /** A time on the recognizer's clock (seconds of audio it was given) on the stream's clock. */
    public double streamSeconds(double decodedSeconds) {
        Segment match = null;
        for (var it = segments.descendingIterator(); it.hasNext(); ) {
            Segment segment = it.next();
            match = segment;
            if (segment.decoded() <= decodedSeconds) {
                break;
            }
        }
        return match == null ? decodedSeconds : match.stream() + (decodedSeconds - match.decoded());
    }

    /** Releases the detector; the session ended and gives the gate no more frames. */
    public void close() {
        detector.close();
    }

    /** Whether speech is going on (the gate is open). */
    public boolean open() {
        return open;
    }

    /** Frames never decoded so far. */
    public long gatedFrames() {
        return gatedFrames - preRoll.size();
    }

    /** Seconds of audio never decoded so far. */
    public double gatedSeconds() {
        return seconds(gatedSamples - preRollHeld);
    }

    /** Seconds spent in the detector so far. */
    public double detectorSeconds() {
        return detectorNanos / 1e9;
    }

    /** Seconds of the stream judged so far. */
    public double streamSeconds() {
        return seconds(streamSamples);
    }

    private double seconds(long samples) {
        return samples / (double) sampleRate;
    }
}
