package dev.earshot.gateway.session;

import dev.earshot.gateway.settings.AdmissionSettings;

import java.time.Duration;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import static java.util.Objects.requireNonNull;

/**
 * Admission of new live sessions by measured decode load: when decoding cannot keep up with one more live stream, a
 * new one is refused (a retryable {@link SessionRefusedException}: 503 with {@code Retry-After} on WHIP and before a
 * vosk-server handshake, close 1013 after it, an {@code error} event on Wyoming) instead of every live session falling
 * behind together.
 *
 * <h2>What is measured</h2>
 * Every session's decoding task publishes, once per run (never per frame), the time the run took on its decoding
 * thread, the audio it took from the queue, and the recognizer's share of that time with the audio fed to it (see
 * {@link Load}). A sampler ({@link #sample}, on a timer a few times a second, never per frame) turns the differences
 * since its last look into, per session, its <em>cost</em>: decoding-thread seconds per second of audio, weighted
 * over its last few seconds of audio (so a pause keeps the last cost); per pipeline, the cost of a
 * <em>continuous</em> stream (the recognizer's time per second of audio fed to it, plus the session's own overhead
 * per second of audio taken); and per session its <em>lag</em> ({@link Load#lagSeconds}: the audio waiting in its
 * queue, but never more than it is behind the clock, so a client streaming a file faster than real time is not
 * behind). A gated session (speech gate) costs its detector and the speech it lets through: a room of quiet
 * microphones costs far less than the same number of people talking, which is why a session count cannot be the
 * measure.
 *
 * <h2>The decision</h2>
 * The <em>load</em> is the sum of the costs of the open live sessions: the decoding threads they need at real time (a
 * session not measured yet counts as a continuous stream of its pipeline for its first two seconds, so that a burst
 * of connections cannot slip in before any is measured; one that still sent too little audio after that is idle and
 * counts nothing: a WHIP session waiting for its peer, a client that connected and says nothing). A new session from a live ingest origin
 * ({@link #ADMITTED_ORIGINS}: WHIP, vosk-server, Wyoming clients) is refused when
 * <ol>
 * <li>a live session has been more than {@code earshot.admission.max-lag} behind real time at two samples in a row
 * (evidence that decoding does not keep up), or</li>
 * <li>the load plus the cost of one more continuous stream of its pipeline exceeds the capacity:
 * {@code earshot.admission.max-load} times the decoding threads ({@code earshot.runtime.decode-threads}).</li>
 * </ol>
 * Nothing is refused before something was measured (warm-up): with no cost known for the pipeline only the lag rule
 * applies. A cost is the decoding runs' wall time less the time their thread waited for a CPU ({@link RunQueueWait}):
 * what decoding the stream takes, including any waiting the engine itself does (an out-of-process engine), but not
 * how busy the machine is with other work at the moment. When other work leaves the decoding threads too little CPU,
 * the sessions fall behind, and that shows as lag: evidence, not projection.
 *
 * <h2>Not live</h2>
 * Uploads ({@code api:transcribe}) and file sources are paced: they are never refused here and are not counted in
 * the load, since they take what decoding time is left ({@link DecodeScheduler} runs live sessions first) and simply
 * finish later. Capture sources of a pipeline (microphones, exec) are counted in the load but not refused: the
 * operator configured them. They do share the decoding threads with live sessions; when they make live sessions fall
 * behind, the lag rule refuses new ones.
 *
 * <p>Thread-safe: {@link #sample} and {@link #check} are serialised on this object; neither blocks on anything else.
 * Memory is one small record per open session, dropped at the first sample after the session is gone.
 */
public final class DecodeAdmission {

    /** Origin kinds ({@code <kind>:<detail>}) of sessions opened by clients of live protocols: these may be refused. */
    public static final Set<String> ADMITTED_ORIGINS = Set.of("whip", "vosk", "wyoming");

    /** How often the runtime samples (a timer; never per frame). */
    public static final Duration SAMPLE_INTERVAL = Duration.ofMillis(250);
    /** Audio over which a session's cost is weighted. */
    private static final double SESSION_MEMORY_SECONDS = 3;
    /** Audio over which a pipeline's continuous-stream cost is weighted. */
    private static final double PIPELINE_MEMORY_SECONDS = 10;
    /** Weighted audio a cost needs before it is believed. */
    private static final double MIN_AUDIO_SECONDS = 0.5;
    /**
     * How long a session with too little audio to be measured counts as a continuous stream of its pipeline (so that a
     * burst of connections cannot slip in before any is measured); after it, such a session is idle and counts 0.
     */
    static final long UNMEASURED_NANOS = 2_000_000_000L;
    /** Samples in a row a session must be behind before new sessions are refused for it. */
    private static final int BEHIND_SAMPLES = 2;

    /** What the sampler reads of one open session (a {@link Session}); the counters only ever grow. */
    public interface Load {
        String pipelineName();

        String origin();

        /** Time the session's decoding task ran, nanoseconds, without its start-up (hooks, recognizer creation). */
        long busyNanos();

        /** Audio taken from the session's queue (before the speech gate), nanoseconds. */
        long takenAudioNanos();

        /** Time spent in the recognizer. */
        long recognizerNanos();

        /** Audio fed to the recognizer (after the speech gate). */
        long fedAudioNanos();

        /** Seconds the session's decoding is behind real time at {@code nowNanos} ({@link System#nanoTime()}). */
        double lagSeconds(long nowNanos);

        /** When the session opened ({@link System#nanoTime()}). */
        long openedNanos();

        /** True once the session is ending or closing: it will take no more audio, so it needs no more capacity. */
        boolean ending();
    }

    /** The state as {@code /api/pipelines} and {@code /q/metrics} show it. */
    public record View(boolean enabled, double load, double capacity, int threads, double maxLagSeconds,
                       long refused) {
    }

    private static final class Track {
        final Load session;
        final String pipeline;
        final boolean live;
        long busy;
        long taken;
        long recognizer;
        long fed;
        double weightedBusy;
        double weightedTaken;
        int behindSamples;
        double lag;

        Track(Load session) {
            this.session = session;
            this.pipeline = session.pipelineName();
            this.live = Origins.live(session.origin());
        }

        /** Thread-seconds per second of audio, or NaN while too little audio has been seen. */
        double cost() {
            return weightedTaken >= MIN_AUDIO_SECONDS ? weightedBusy / weightedTaken : Double.NaN;
        }
    }

    /** A pipeline's continuous-stream cost, weighted over its sessions' recent audio. */
    private static final class Continuous {
        double recognizer;
        double fed;
        double overhead;
        double taken;

        double cost() {
            if (fed < MIN_AUDIO_SECONDS) {
                return Double.NaN;
            }
            return recognizer / fed + (taken >= MIN_AUDIO_SECONDS ? Math.max(0, overhead) / taken : 0);
        }
    }

    private final AdmissionSettings settings;
    private final int threads;
    /** The open sessions (all pipelines): added by {@link #admit}, removed by {@link #released}. */
    private final Set<Load> sessions = ConcurrentHashMap.newKeySet();
    private final Map<Load, Track> tracks = new IdentityHashMap<>();
    private final Map<String, Continuous> pipelines = new HashMap<>();
    private volatile double load;
    private volatile double maxLag;
    private long refused;
    private long lastSample;

    /** @param threads the decoding threads ({@link DecodeScheduler#threads()}) */
    public DecodeAdmission(AdmissionSettings settings, int threads) {
        this.settings = requireNonNull(settings, "settings is null");
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1: " + threads);
        }
        this.threads = threads;
    }

    public AdmissionSettings settings() {
        return settings;
    }

    /** Decoding threads live sessions may need together. */
    public double capacity() {
        return settings.maxLoad() * threads;
    }

    /** Decoding threads the open live sessions need at real time, as of the last sample. */
    public double load() {
        return load;
    }

    /** How far the most lagging live session was behind real time at the last sample, seconds. */
    public double maxLagSeconds() {
        return maxLag;
    }

    public synchronized long refused() {
        return refused;
    }

    public View view() {
        return new View(settings.enabled(), round(load), round(capacity()), threads, round(maxLag), refused());
    }

    /** Reads every open session's counters; on a timer ({@link #SAMPLE_INTERVAL}), never per frame. */
    public void sample() {
        sample(System.nanoTime());
    }

    synchronized void sample(long nowNanos) {
        lastSample = nowNanos;
        Map<Load, Track> seen = new IdentityHashMap<>();
        for (Load session : sessions) {
            Track track = tracks.get(session);
            if (track == null) {
                track = new Track(session);
            }
            seen.put(session, track);
            update(track, nowNanos);
        }
        tracks.clear();
        tracks.putAll(seen);
        double total = 0;
        double lag = 0;
        for (Track track : tracks.values()) {
            if (track.live) {
                total += costOf(track.session, track, nowNanos);
                lag = Math.max(lag, track.lag);
            }
        }
        load = total;
        maxLag = lag;
    }

    private void update(Track track, long nowNanos) {
        Load session = track.session;
        long busy = session.busyNanos();
        long taken = session.takenAudioNanos();
        long recognizer = session.recognizerNanos();
        long fed = session.fedAudioNanos();
        double dBusy = (busy - track.busy) / 1e9;
        double dTaken = (taken - track.taken) / 1e9;
        double dRecognizer = (recognizer - track.recognizer) / 1e9;
        double dFed = (fed - track.fed) / 1e9;
        track.busy = busy;
        track.taken = taken;
        track.recognizer = recognizer;
        track.fed = fed;
        if (dTaken > 0) {
            // Weighted by audio, not by time: a pause keeps the last cost instead of forgetting it.
            double keep = Math.exp(-dTaken / SESSION_MEMORY_SECONDS);
            track.weightedBusy = track.weightedBusy * keep + dBusy;
            track.weightedTaken = track.weightedTaken * keep + dTaken;
        }
        Continuous continuous = pipelines.computeIfAbsent(track.pipeline, name -> new Continuous());
        if (dFed > 0) {
            double keep = Math.exp(-dFed / PIPELINE_MEMORY_SECONDS);
            continuous.recognizer = continuous.recognizer * keep + dRecognizer;
            continuous.fed = continuous.fed * keep + dFed;
        }
        if (dTaken > 0) {
            double keep = Math.exp(-dTaken / PIPELINE_MEMORY_SECONDS);
            continuous.overhead = continuous.overhead * keep + (dBusy - dRecognizer);
            continuous.taken = continuous.taken * keep + dTaken;
        }
        track.lag = track.live ? session.lagSeconds(nowNanos) : 0;
        track.behindSamples = track.lag > settings.maxLag().toNanos() / 1e9 ? track.behindSamples + 1 : 0;
    }

    /**
     * A live session's cost: 0 once it is ending (a client that sent its last audio, or one closed for an error);
     * measured, or while it is too new to be measured a continuous stream of its pipeline (0
     * when that is unknown too), or 0 for one that has been open a while and still sent too little audio to measure.
     */
    private double costOf(Load session, Track track, long nowNanos) {
        if (session.ending()) {
            return 0;
        }
        double cost = track == null ? Double.NaN : track.cost();
        if (Double.isNaN(cost) && nowNanos - session.openedNanos() < UNMEASURED_NANOS) {
            cost = continuousCost(session.pipelineName());
        }
        return Double.isNaN(cost) ? 0 : cost;
    }

    private double continuousCost(String pipeline) {
        Continuous continuous = pipelines.get(pipeline);
        return continuous == null ? Double.NaN : continuous.cost();
    }

    /** Whether sessions of this origin are subject to admission. */
    public static boolean admits(String origin) {
        return ADMITTED_ORIGINS.contains(Origins.kind(origin));
    }

    /**
     * Decides on a new session and, when it may open, counts it among the open sessions until {@link #released}.
     * Sessions opened since the last sample count as continuous streams of their pipeline, so a burst of connections
     * cannot all slip in between two samples.
     *
     * @throws SessionRefusedException (retryable, reason {@link SessionRefusedException#DECODE_LOAD}) when a live
     *                                 session is behind or one more would not fit
     */
    public void admit(Load session) {
        admit(session, System.nanoTime());
    }

    synchronized void admit(Load session, long nowNanos) {
        check(session.pipelineName(), session.origin(), nowNanos);
        sessions.add(session);
    }

    /** The session ended: it no longer counts (its record goes at the next sample). */
    public void released(Load session) {
        sessions.remove(session);
    }

    /**
     * Decides on a new session of {@code origin} in {@code pipeline} without counting it: returns when it may open,
     * throws when decoding is at capacity (an endpoint asking before it accepts a connection).
     *
     * @throws SessionRefusedException (retryable) when a live session is behind or one more would not fit
     */
    public void check(String pipeline, String origin) {
        check(pipeline, origin, System.nanoTime());
    }

    synchronized void check(String pipeline, String origin, long nowNanos) {
        if (!settings.enabled() || !admits(origin) || lastSample == 0) {
            return;
        }
        double lag = 0;
        for (Track track : tracks.values()) {
            if (track.live && track.behindSamples >= BEHIND_SAMPLES) {
                lag = Math.max(lag, track.lag);
            }
        }
        if (lag > 0) {
            refuse("live sessions are " + format(lag) + " s behind real time (earshot.admission.max-lag is "
                    + format(settings.maxLag().toMillis() / 1000.0) + " s)");
        }
        double oneMore = continuousCost(pipeline);
        if (Double.isNaN(oneMore)) {
            return;
        }
        double total = 0;
        for (Load session : sessions) {
            if (Origins.live(session.origin())) {
                total += costOf(session, tracks.get(session), nowNanos);
            }
        }
        if (total + oneMore > capacity()) {
            refuse("live sessions need " + format(total) + " of " + format(capacity()) + " decoding threads and one more"
                    + " stream of pipeline '" + pipeline + "' needs " + format(oneMore)
                    + " (earshot.admission.max-load " + format(settings.maxLoad()) + " of " + threads
                    + " threads, earshot.runtime.decode-threads)");
        }
    }

    private void refuse(String why) {
        refused++;
        throw new SessionRefusedException("decoding is at capacity: " + why + "; retry later", true,
                SessionRefusedException.DECODE_LOAD);
    }

    private static String format(double value) {
        return String.format(Locale.ROOT, "%.2f", value);
    }

    private static double round(double value) {
        return Math.round(value * 1000) / 1000.0;
    }
}
