package dev.earshot.webrtc;

import dev.onvoid.webrtc.PeerConnectionObserver;
import dev.onvoid.webrtc.RTCIceCandidate;
import dev.onvoid.webrtc.RTCIceConnectionState;
import dev.onvoid.webrtc.RTCIceGatheringState;
import dev.onvoid.webrtc.RTCPeerConnection;
import dev.onvoid.webrtc.RTCPeerConnectionState;
import dev.onvoid.webrtc.RTCRtpTransceiver;
import dev.onvoid.webrtc.media.MediaStreamTrack;
import dev.onvoid.webrtc.media.audio.AudioTrack;
import dev.onvoid.webrtc.media.audio.AudioTrackSink;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

import static java.util.Objects.requireNonNull;

/**
 * One WebRTC peer that sends audio to us: the answered peer connection, the decoded audio of its first audio track,
 * and its end. Made by {@link WebRtcAudio#answer}.
 *
 * <h2>Threads</h2>
 * <ul>
 * <li>webrtc-java's <em>signaling thread</em> calls the {@link PeerConnectionObserver} methods; they only post work
 * to the control thread.</li>
 * <li>webrtc-java's <em>audio thread</em> (the headless device module's playout pump, one for the process) calls the
 * track sink every 10 ms with decoded PCM; it down-mixes into a reused buffer and calls
 * {@link Listener#onAudio}, which must not block.</li>
 * <li>The <em>control thread</em> ({@code earshot-webrtc}, one for the process) makes every call into native code:
 * answering, adding candidates, closing.</li>
 * </ul>
 * Listener calls are made one at a time under a lock and never after {@link #close()} returned; a listener may call
 * {@link #close()} from inside a call.
 */
public final class AudioPeer implements AutoCloseable {

    /** What the owner of a peer hears. Calls never overlap and never come after {@link AudioPeer#close()} returned. */
    public interface Listener {

        /**
         * Decoded audio, mono 16-bit, about 10 ms of it. {@code samples} is reused after the call returns: copy what
         * you keep. Called on webrtc-java's audio thread: never block.
         */
        void onAudio(short[] samples, int count, int sampleRate);

        /** ICE and DTLS are up: media can flow. */
        default void onConnected() {
        }

        /** The peer ended by itself (ICE/DTLS failure, the peer closed or went away): the last call, with why. */
        void onEnded(String reason);
    }

    /** How long a peer may stay disconnected (ICE consent lost) before it counts as gone. */
    static final long DISCONNECT_GRACE_MS = 5_000;

    /** How long closing waits for the connection's last statistics (they come from another WebRTC thread). */
    static final long STATS_WAIT_MS = 500;

    private final WebRtcAudio owner;
    private final Listener listener;
    private final ReentrantLock callbacks = new ReentrantLock();
    private volatile boolean open = true;
    private final CompletableFuture<Void> gathered = new CompletableFuture<>();
    private final Sink sink = new Sink();
    private final CompletableFuture<ReceiveStats> finalStats = new CompletableFuture<>();

    // Control thread only.
    private RTCPeerConnection connection;
    private AudioTrack track;
    private ScheduledFuture<?> disconnectTimer;
    private boolean nativeClosed;
    private String answer;

    AudioPeer(WebRtcAudio owner, Listener listener) {
        this.owner = requireNonNull(owner, "owner is null");
        this.listener = requireNonNull(listener, "listener is null");
    }

    /** The SDP answer, with all our ICE candidates (gathering finished or timed out before it was taken). */
    public String answerSdp() {
        return answer;
    }

    public boolean isOpen() {
        return open;
    }

    /**
     * What WebRTC's receive side did to the peer's audio over the whole connection (packets, loss, concealment, time
     * stretching), read just before the native connection is closed; {@link ReceiveStats#NONE} when there was no
     * connection or the figures did not come within {@value #STATS_WAIT_MS} ms. Completes on the control thread.
     */
    public CompletableFuture<ReceiveStats> finalStats() {
        return finalStats;
    }

    /**
     * Adds the remote ICE candidates of a trickle-ICE SDP fragment ({@code a=candidate:} lines, with
     * {@code a=mid:} naming their media section). Completes when they were handed to the connection.
     */
    public CompletableFuture<Integer> addCandidates(String sdpFragment) {
        requireNonNull(sdpFragment, "sdpFragment is null");
        return owner.onControl(() -> {
            if (nativeClosed || connection == null) {
                throw new IllegalStateException("the peer connection is closed");
            }
            String mid = "0";
            int added = 0;
            for (String line : sdpFragment.split("\r?\n")) {
                if (line.startsWith("a=mid:")) {
                    mid = line.substring(6).trim();
                } else if (line.startsWith("a=candidate:")) {
                    connection.addIceCandidate(new RTCIceCandidate(mid, 0, line.substring(2).trim()));
                    added++;
                }
            }
            return added;
        });
    }

    /**
     * Closes the peer: no listener call after this returns; the native connection is closed on the control thread
     * soon after. Idempotent, thread-safe, safe from inside a listener call.
     */
    @Override
    public void close() {
        callbacks.lock();
        try {
            open = false;
        } finally {
            callbacks.unlock();
        }
        owner.onControl(() -> {
            closeNative();
            return null;
        });
    }

    // ---- control thread -----------------------------------------------------------------------------------------

    void connected(RTCPeerConnection connection) {
        this.connection = connection;
    }

    RTCPeerConnection connection() {
        return connection;
    }

    void answered(String sdp) {
        this.answer = sdp;
    }

    CompletableFuture<Void> gathered() {
        return gathered;
    }

    /** Releases the native side once: the sink first (no audio after), then the connection. Track not disposed. */
    void closeNative() {
        if (nativeClosed) {
            return;
        }
        nativeClosed = true;
        open = false;
        if (disconnectTimer != null) {
            disconnectTimer.cancel(false);
        }
        try {
            if (track != null) {
                track.removeSink(sink);
            }
        } finally {
            track = null;
            if (connection != null) {
                finalStats.complete(lastStats(connection)); // before the close: the figures need the open connection
                connection.close();
                connection = null;
            } else {
                finalStats.complete(ReceiveStats.NONE);
            }
            owner.released(this);
        }
    }

    /**
     * The connection's receive statistics, waited for (bounded) on the control thread: getStats answers on the
     * signaling thread, which never waits for the control thread, so this cannot deadlock.
     */
    private static ReceiveStats lastStats(RTCPeerConnection connection) {
        CompletableFuture<ReceiveStats> stats = new CompletableFuture<>();
        try {
            connection.getStats(report -> stats.complete(ReceiveStats.of(report)));
            return stats.get(STATS_WAIT_MS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return ReceiveStats.NONE;
        } catch (Exception e) {
            return ReceiveStats.NONE;
        }
    }

    /** The peer ended by itself: tell the listener (unless closed already), then release. */
    private void end(String reason) {
        if (nativeClosed) {
            return;
        }
        dispatch(() -> listener.onEnded(reason));
        open = false;
        closeNative();
    }

    private void stateChanged(RTCPeerConnectionState state) {
        if (nativeClosed) {
            return;
        }
        switch (state) {
            case CONNECTED -> {
                if (disconnectTimer != null) {
                    disconnectTimer.cancel(false);
                    disconnectTimer = null;
                }
                dispatch(listener::onConnected);
            }
            case DISCONNECTED -> {
                if (disconnectTimer == null) {
                    disconnectTimer = owner.schedule(() -> {
                        disconnectTimer = null;
                        if (connection != null && connection.getConnectionState() != RTCPeerConnectionState.CONNECTED) {
                            end("the peer went away (disconnected for " + DISCONNECT_GRACE_MS / 1000 + " s)");
                        }
                    }, DISCONNECT_GRACE_MS);
                }
            }
            case FAILED -> end("ICE/DTLS failed: the peer could not be reached or the DTLS handshake failed");
            case CLOSED -> end("the peer closed the connection");
            default -> {
            }
        }
    }

    private void trackAdded(RTCRtpTransceiver transceiver) {
        if (nativeClosed || track != null) {
            return;
        }
        MediaStreamTrack received = transceiver.getReceiver().getTrack();
        if (received instanceof AudioTrack audio) {
            track = audio;
            audio.addSink(sink);
        }
    }

    // ---- any thread ---------------------------------------------------------------------------------------------

    private void dispatch(Runnable call) {
        callbacks.lock();
        try {
            if (open) {
                call.run();
            }
        } finally {
            callbacks.unlock();
        }
    }

    /** Observer of the native connection: every call hops to the control thread. */
    PeerConnectionObserver observer() {
        return new PeerConnectionObserver() {
            @Override
            public void onIceCandidate(RTCIceCandidate candidate) {
                // Our candidates go into the answer (gathering waits for all of them); nothing to trickle.
            }

            @Override
            public void onIceGatheringChange(RTCIceGatheringState state) {
                if (state == RTCIceGatheringState.COMPLETE) {
                    gathered.complete(null);
                }
            }

            @Override
            public void onConnectionChange(RTCPeerConnectionState state) {
                owner.onControl(() -> {
                    stateChanged(state);
                    return null;
                });
            }

            @Override
            public void onIceConnectionChange(RTCIceConnectionState state) {
                if (state == RTCIceConnectionState.FAILED) {
                    owner.onControl(() -> {
                        end("ICE failed: no candidate pair worked");
                        return null;
                    });
                }
            }

            @Override
            public void onTrack(RTCRtpTransceiver transceiver) {
                owner.onControl(() -> {
                    trackAdded(transceiver);
                    return null;
                });
            }
        };
    }

    /** Down-mixes each 10 ms chunk into a reused buffer and hands it on. Audio thread only. */
    private final class Sink implements AudioTrackSink {
        private short[] mono = new short[960];

        @Override
        public void onData(byte[] data, int bitsPerSample, int sampleRate, int channels, int frames) {
            if (!open || bitsPerSample != 16 || channels < 1 || frames <= 0 || data.length < frames * channels * 2) {
                return;
            }
            if (mono.length < frames) {
                mono = new short[frames];
            }
            for (int i = 0; i < frames; i++) {
                int sum = 0;
                for (int c = 0; c < channels; c++) {
                    int at = 2 * (i * channels + c);
                    sum += (short) ((data[at] & 0xff) | (data[at + 1] << 8));
                }
                mono[i] = (short) (sum / channels);
            }
            short[] samples = mono;
            dispatch(() -> listener.onAudio(samples, frames, sampleRate));
        }
    }
}
