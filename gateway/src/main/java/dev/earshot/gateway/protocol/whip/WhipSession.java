package dev.earshot.gateway.protocol.whip;

import dev.earshot.gateway.session.Session;
import dev.earshot.gateway.session.SessionListener;
import dev.earshot.webrtc.AudioPeer;
import dev.earshot.webrtc.ReceiveStats;
import dev.earshot.spi.audio.AudioFormat;
import dev.earshot.spi.audio.AudioFrame;
import dev.earshot.spi.source.SessionOutcome;
import io.vertx.core.Context;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * One WHIP resource: a WebRTC peer publishing audio into one pipeline session.
 *
 * <p>Audio: webrtc-java's audio thread calls {@link #onAudio} with 10 ms of decoded Opus (48 kHz, down-mixed to
 * mono); it is gathered into 100 ms frames in one reused buffer and handed over with {@link Session#offer}, which
 * never blocks: the session is LIVE, so when the pipeline stalls the oldest frame is dropped and counted
 * ({@code droppedFrames} in {@code /api/sessions}, {@code earshot_frames_dropped_total}). The pipeline resamples to
 * the engine's rate.
 *
 * <p>Everything else runs on the home context (the event loop of the POST): the connect and idle checks, the end.
 * The session ends once, whichever comes first: DELETE, the peer failing or leaving, the connect or idle timeout,
 * the session aborted through the API or a pipeline stop, the gateway stopping. Ending flushes the final to the
 * sinks ({@link Session#end()}) and closes the peer; the recognizer is released by the session.
 */
final class WhipSession {

    private static final Logger LOG = Logger.getLogger(WhipSession.class);
    static final AudioFormat FORMAT = new AudioFormat(48_000, 1);
    private static final int FRAME_SAMPLES = FORMAT.sampleRate() / 10;

    private final String pipeline;
    private final String etag;
    private final Context home;
    private final String resource;
    private final Duration connectTimeout;
    private final Duration idleTimeout;
    private final BiConsumer<WhipSession, String> whenEnded;
    private volatile Session session;
    private volatile AudioPeer peer;

    // Audio thread only.
    private final short[] frame = new short[FRAME_SAMPLES];
    private int filled;
    private long sequence;
    private boolean wrongRate;
    private volatile long lastAudioNanos;

    // Home context only.
    private boolean connected;
    private boolean ended;
    private long timer = -1;

    WhipSession(String pipeline, String resource, String etag, Context home, Duration connectTimeout, Duration idleTimeout,
                BiConsumer<WhipSession, String> whenEnded) {
        this.pipeline = pipeline;
        this.resource = resource;
        this.etag = etag;
        this.home = home;
        this.connectTimeout = connectTimeout;
        this.idleTimeout = idleTimeout;
        this.whenEnded = whenEnded;
    }

    String pipeline() {
        return pipeline;
    }

    /** The last segment of the resource URL: 128 random bits, the capability to PATCH and DELETE the session. */
    String resource() {
        return resource;
    }

    String etag() {
        return etag;
    }

    Session session() {
        return session;
    }

    AudioPeer peer() {
        return peer;
    }

    String id() {
        return session.id();
    }

    /** What the pipeline session tells us: it was aborted by someone else (API, pipeline stop) or closed. */
    SessionListener sessionListener() {
        return new SessionListener() {
            @Override
            public void onClosed(SessionOutcome outcome) {
                end(outcome.isEnded() ? outcome.cause() : "the session was closed: " + outcome, "aborted");
            }
        };
    }

    /** What the peer tells us; the peer calls these on its own threads. */
    AudioPeer.Listener peerListener() {
        return new AudioPeer.Listener() {
            @Override
            public void onAudio(short[] samples, int count, int sampleRate) {
                WhipSession.this.onAudio(samples, count, sampleRate);
            }

            @Override
            public void onConnected() {
                home.runOnContext(v -> connected());
            }

            @Override
            public void onEnded(String reason) {
                home.runOnContext(v -> end(reason, reason.startsWith("ICE") ? "failed" : "peer"));
            }
        };
    }

    Context homeContext() {
        return home;
    }

    /** The pipeline session is open. Home context. */
    void bind(Session session) {
        this.session = session;
    }

    /** The peer is answered: the connect timeout runs from now. Home context. */
    void started(AudioPeer peer) {
        this.peer = peer;
        if (ended) {
            peer.close();
            return;
        }
        lastAudioNanos = System.nanoTime();
        timer = home.owner().setTimer(connectTimeout.toMillis(), id -> {
            timer = -1;
            if (!connected) {
                end("ICE/DTLS did not connect within " + connectTimeout.toSeconds() + " s (earshot.ingest.whip.connect-timeout)",
                        "connect-timeout");
            }
        });
    }

    private void connected() {
        if (ended || connected) {
            return;
        }
        connected = true;
        LOG.debugf("WHIP session %s connected", session.id());
        cancelTimer();
        lastAudioNanos = System.nanoTime();
        long checkMs = Math.max(100, Math.min(1000, idleTimeout.toMillis() / 4));
        timer = home.owner().setPeriodic(checkMs, id -> {
            if (System.nanoTime() - lastAudioNanos > idleTimeout.toNanos()) {
                end("no audio for " + idleTimeout.toSeconds() + " s (earshot.ingest.whip.idle-timeout)", "idle");
            }
        });
    }

    /**
     * Ends the session once: final flushed to the sinks, peer closed, resource removed. Home context (or any thread
     * for the shutdown, after which the event loops stop).
     *
     * @param cause metric tag: deleted, peer, failed, connect-timeout, idle, aborted, shutdown
     */
    void end(String reason, String cause) {
        if (ended) {
            return;
        }
        ended = true;
        cancelTimer();
        AudioPeer currentPeer = peer;
        if (currentPeer != null) {
            currentPeer.close();
        }
        Session currentSession = session;
        if (currentSession != null) {
            currentSession.end();
            String summary = String.format("WHIP session %s in pipeline '%s' ended: %s (frames received %d, dropped %d)",
                    currentSession.id(), pipeline, reason, currentSession.framesReceived(), currentSession.droppedFrames());
            if (currentPeer == null) {
                LOG.info(summary);
            } else {
                // The peer reads WebRTC's receive figures as it closes: what the jitter buffer made up or stretched.
                currentPeer.finalStats().orTimeout(5, TimeUnit.SECONDS).whenComplete((stats, failure) ->
                        LOG.info(stats == null || stats == ReceiveStats.NONE ? summary : summary + "; WebRTC received " + stats));
            }
        }
        whenEnded.accept(this, cause);
    }

    private void cancelTimer() {
        if (timer >= 0) {
            home.owner().cancelTimer(timer);
            timer = -1;
        }
    }

    private void onAudio(short[] samples, int count, int sampleRate) {
        Session target = session;
        if (target == null) {
            return;
        }
        if (sampleRate != FORMAT.sampleRate()) {
            if (!wrongRate) {
                wrongRate = true;
                home.runOnContext(v -> end("the peer's audio is decoded at " + sampleRate + " Hz; WHIP ingest takes Opus at "
                        + FORMAT.sampleRate() + " Hz", "failed"));
            }
            return;
        }
        lastAudioNanos = System.nanoTime();
        int at = 0;
        while (at < count) {
            int n = Math.min(count - at, FRAME_SAMPLES - filled);
            System.arraycopy(samples, at, frame, filled, n);
            filled += n;
            at += n;
            if (filled == FRAME_SAMPLES) {
                target.offer(AudioFrame.ofSamples(FORMAT, frame, filled, sequence++, Instant.now()));
                filled = 0;
            }
        }
    }
}
