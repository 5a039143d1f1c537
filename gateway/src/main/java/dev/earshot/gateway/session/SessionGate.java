package dev.earshot.gateway.session;

import dev.earshot.gateway.speech.SpeechGate;
import dev.earshot.spi.audio.AudioFrame;
import dev.earshot.spi.transcript.Alternative;
import dev.earshot.spi.transcript.Hypothesis;
import dev.earshot.spi.transcript.Word;

import java.util.List;

/**
 * A session's speech gate as the session uses it: frames in, what to decode out; hypotheses restamped onto the
 * stream's clock; the gate's work reported to the pipeline's metrics. {@link #NONE} passes everything through.
 * The session's decoding task only, except the read-only view for the API.
 */
public final class SessionGate {

    /** No gate: every frame is decoded, times are left as they are. */
    static final SessionGate NONE = new SessionGate(null);

    /** Decodes one frame; the session's {@code decode}. */
    interface Decoder {
        void decode(AudioFrame frame) throws Exception;
    }

    private final SpeechGate gate;
    private long reportedDetectorNanos;
    private long reportedFrames;
    private double reportedSeconds;

    private SessionGate(SpeechGate gate) {
        this.gate = gate;
    }

    static SessionGate of(SpeechGate gate) {
        return gate == null ? NONE : new SessionGate(gate);
    }

    boolean active() {
        return gate != null;
    }

    /** Hands the frame to the gate and decodes what it lets through (the pre-roll first, when speech starts). */
    void decode(AudioFrame frame, Decoder decoder) throws Exception {
        if (frame == null) {
            return;
        }
        if (gate == null) {
            decoder.decode(frame);
            return;
        }
        for (AudioFrame through : gate.accept(frame)) {
            decoder.decode(through);
        }
    }

    /** Releases the gate's detector when the session ends (on its decoding task, or once no task can run). */
    void close() {
        if (gate != null) {
            gate.close();
        }
    }

    /** Word times moved from the recognizer's clock (only what it was given) to the stream's. */
    Hypothesis restamp(Hypothesis hypothesis) {
        if (gate == null) {
            return hypothesis;
        }
        List<Alternative> alternatives = hypothesis.alternatives().stream()
                .map(a -> new Alternative(a.text(), a.confidence(), restamp(a.words()))).toList();
        return new Hypothesis(hypothesis.isFinal(), hypothesis.text(), restamp(hypothesis.words()), alternatives);
    }

    private List<Word> restamp(List<Word> words) {
        return words.stream().map(w -> new Word(w.word(), gate.streamSeconds(w.start()), gate.streamSeconds(w.end()),
                w.confidence())).toList();
    }

    /** Where the session is on the stream's clock, given the seconds the recognizer has been fed. */
    double streamSeconds(double decodedSeconds) {
        return gate == null ? decodedSeconds : gate.streamSeconds();
    }

    /** Adds what the gate did since the last report to the pipeline's counters. */
    void report(SessionHost host) {
        if (gate == null) {
            return;
        }
        long detector = (long) (gate.detectorSeconds() * 1e9);
        long frames = gate.gatedFrames();
        double seconds = gate.gatedSeconds();
        host.gated(detector - reportedDetectorNanos, Math.max(0, frames - reportedFrames),
                (long) (Math.max(0, seconds - reportedSeconds) * 1e9));
        reportedDetectorNanos = detector;
        reportedFrames = Math.max(frames, reportedFrames);
        reportedSeconds = Math.max(seconds, reportedSeconds);
    }

    /** For {@code /api/sessions}: whether speech is going on, and seconds kept from the recognizer; null without a gate. */
    SpeechGateView view() {
        return gate == null ? null : new SpeechGateView(gate.open(), Math.round(gate.gatedSeconds() * 10) / 10.0,
                Math.round(gate.detectorSeconds() * 1000) / 1000.0);
    }

    /** A session's speech gate as the API shows it. */
    public record SpeechGateView(boolean speech, double gatedSeconds, double detectorSeconds) {
    }
}
