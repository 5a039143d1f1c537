package dev.earshot.webrtc;

import dev.onvoid.webrtc.CreateSessionDescriptionObserver;
import dev.onvoid.webrtc.PeerConnectionFactory;
import dev.onvoid.webrtc.RTCAnswerOptions;
import dev.onvoid.webrtc.RTCBundlePolicy;
import dev.onvoid.webrtc.RTCConfiguration;
import dev.onvoid.webrtc.RTCIceServer;
import dev.onvoid.webrtc.RTCPeerConnection;
import dev.onvoid.webrtc.RTCRtcpMuxPolicy;
import dev.onvoid.webrtc.RTCSdpType;
import dev.onvoid.webrtc.RTCSessionDescription;
import dev.onvoid.webrtc.SetSessionDescriptionObserver;
import dev.onvoid.webrtc.media.audio.HeadlessAudioDeviceModule;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * WebRTC audio reception for the whole process: one {@link PeerConnectionFactory} on a
 * {@link HeadlessAudioDeviceModule} (never the default device module, which aborts the JVM when no sound server runs),
 * created on the first {@link #answer} and disposed by {@link #close()}; one control thread ({@code earshot-webrtc})
 * that makes every call into native code, so that no webrtc-java callback ever calls back into it.
 *
 * <p>The distribution carries webrtc-java's {@code linux-x86_64} and {@code linux-aarch64} native jars; webrtc-java
 * loads the one named after {@code os.arch} at run time, so the same build runs on x86-64 and on a 64-bit Raspberry
 * Pi OS. The native library links {@code libpulse.so.0} (Debian {@code libpulse0}) even though no sound server
 * is used.
 */
public final class WebRtcAudio implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(WebRtcAudio.class.getName());

    /** An ICE server: a STUN or TURN url, with TURN credentials when needed. */
    public record IceServer(String url, String username, String password) {
        public IceServer {
            requireNonNull(url, "url is null");
        }
    }

    private final List<IceServer> iceServers;
    private final Duration gatherTimeout;
    private final ScheduledThreadPoolExecutor control;
    private final Set<AudioPeer> peers = ConcurrentHashMap.newKeySet();
    private final int opusBitrate;
    private final AtomicBoolean closed = new AtomicBoolean();

    // Control thread only.
    private HeadlessAudioDeviceModule audioModule;
    private PeerConnectionFactory factory;

    /**
     * @param gatherTimeout how long an answer waits for our ICE candidates before it is sent with those it has
     * @param opusBitrate   the Opus bitrate (bits/s) answers ask the publisher for ({@code maxaveragebitrate}), or 0
     *                      to leave the publisher's default
     */
    public WebRtcAudio(List<IceServer> iceServers, Duration gatherTimeout, int opusBitrate) {
        this.opusBitrate = opusBitrate;
        this.iceServers = List.copyOf(iceServers);
        this.gatherTimeout = requireNonNull(gatherTimeout, "gatherTimeout is null");
        this.control = new ScheduledThreadPoolExecutor(1, r -> {
            Thread thread = new Thread(r, "earshot-webrtc");
            thread.setDaemon(true);
            return thread;
        });
        control.setRemoveOnCancelPolicy(true);
    }

    /**
     * Answers an offer that {@link OpusOffer#parse} accepted: completes with the peer once its answer holds our ICE
     * candidates, or fails with an {@link OpusOffer.InvalidOfferException} when webrtc-java rejects the offer (its
     * reason in the message), or another exception when WebRTC cannot start here. The listener hears the peer from
     * then on. Never blocks the caller.
     */
    public CompletableFuture<AudioPeer> answer(String offerSdp, AudioPeer.Listener listener) {
        requireNonNull(offerSdp, "offerSdp is null");
        AudioPeer peer = new AudioPeer(this, listener);
        CompletableFuture<AudioPeer> result = new CompletableFuture<>();
        CompletableFuture<Void> started = onControl(() -> {
            RTCPeerConnection connection = factory().createPeerConnection(configuration(), peer.observer());
            if (connection == null) {
                throw new IllegalStateException("webrtc-java could not create a peer connection");
            }
            peers.add(peer);
            peer.connected(connection);
            RTCSessionDescription offer;
            try {
                // webrtc-java parses the SDP here and throws java.lang.Error (its message says why) when it cannot.
                offer = new RTCSessionDescription(RTCSdpType.OFFER, offerSdp);
                setRemote(connection, offer, peer, result);
            } catch (Error e) {
                throw new OpusOffer.InvalidOfferException("the offer was rejected: " + e.getMessage());
            }
            return null;
        });
        started.whenComplete((ok, error) -> {
            if (error != null) {
                fail(peer, result, unwrap(error));
            }
        });
        return result;
    }

    private void setRemote(RTCPeerConnection connection, RTCSessionDescription offer, AudioPeer peer,
                           CompletableFuture<AudioPeer> result) {
            connection.setRemoteDescription(offer,
                    new SetSessionDescriptionObserver() {
                        @Override
                        public void onSuccess() {
                            onControl(() -> createAnswer(peer, result));
                        }

                        @Override
                        public void onFailure(String error) {
                            fail(peer, result, new OpusOffer.InvalidOfferException("the offer was rejected: " + error));
                        }
                    });
    }

    private Void createAnswer(AudioPeer peer, CompletableFuture<AudioPeer> result) {
        RTCPeerConnection connection = peer.connection();
        if (connection == null) {
            fail(peer, result, new IllegalStateException("the peer was closed while answering"));
            return null;
        }
        connection.createAnswer(new RTCAnswerOptions(), new CreateSessionDescriptionObserver() {
            @Override
            public void onSuccess(RTCSessionDescription description) {
                onControl(() -> {
                    RTCPeerConnection current = peer.connection();
                    if (current == null) {
                        fail(peer, result, new IllegalStateException("the peer was closed while answering"));
                        return null;
                    }
                    RTCSessionDescription local = opusBitrate <= 0 ? description
                            : new RTCSessionDescription(description.sdpType, withOpusBitrate(description.sdp, opusBitrate));
                    current.setLocalDescription(local, new SetSessionDescriptionObserver() {
                        @Override
                        public void onSuccess() {
                            peer.gathered().orTimeout(gatherTimeout.toMillis(), TimeUnit.MILLISECONDS)
                                    .whenComplete((ok, late) -> onControl(() -> {
                                        RTCPeerConnection now = peer.connection();
                                        if (now == null) {
                                            fail(peer, result, new IllegalStateException("the peer was closed while answering"));
                                            return null;
                                        }
                                        if (late instanceof TimeoutException) {
                                            LOG.log(System.Logger.Level.DEBUG, "ICE gathering took longer than " + gatherTimeout
                                                    + "; answering with the candidates found so far");
                                        }
                                        peer.answered(now.getLocalDescription().sdp);
                                        result.complete(peer);
                                        return null;
                                    }));
                        }

                        @Override
                        public void onFailure(String error) {
                            fail(peer, result, new OpusOffer.InvalidOfferException("no answer could be made: " + error));
                        }
                    });
                    return null;
                });
            }

            @Override
            public void onFailure(String error) {
                fail(peer, result, new OpusOffer.InvalidOfferException("no answer could be made: " + error));
            }
        });
        return null;
    }

    /**
     * The SDP with {@code maxaveragebitrate=bitrate} in the Opus format parameters (added, or replacing the one there):
     * in an answer it tells the publisher's encoder what to send.
     */
    static String withOpusBitrate(String sdp, int bitrate) {
        Matcher rtpmap = OPUS_RTPMAP.matcher(sdp);
        if (!rtpmap.find()) {
            return sdp;
        }
        String payload = rtpmap.group(1);
        Matcher fmtp = Pattern.compile("(?m)^a=fmtp:" + payload + " ([^\\r\\n]*)").matcher(sdp);
        if (fmtp.find()) {
            String parameters = fmtp.group(1).replaceAll(";?\\s*maxaveragebitrate=\\d+", "");
            String updated = (parameters.isBlank() ? "" : parameters + ";") + "maxaveragebitrate=" + bitrate;
            return sdp.substring(0, fmtp.start(1)) + updated + sdp.substring(fmtp.end(1));
        }
        int lineEnd = sdp.indexOf('\n', rtpmap.end());
        int insertAt = lineEnd < 0 ? sdp.length() : lineEnd + 1;
        return sdp.substring(0, insertAt) + "a=fmtp:" + payload + " maxaveragebitrate=" + bitrate + "\r\n"
                + sdp.substring(insertAt);
    }

    private static final Pattern OPUS_RTPMAP = Pattern.compile("(?mi)^a=rtpmap:(\\d+) opus/48000");

    private void fail(AudioPeer peer, CompletableFuture<AudioPeer> result, Throwable error) {
        if (result.completeExceptionally(error)) {
            peer.close();
        }
    }

    private static Throwable unwrap(Throwable error) {
        return error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    }

    /** Peers answered and not yet released. */
    public int openPeers() {
        return peers.size();
    }

    /** Whether the native factory exists (created by the first answer, released by {@link #close()}). */
    public boolean started() {
        try {
            return onControl(() -> factory != null).get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            return false;
        }
    }

    /**
     * Closes every peer (their listeners hear nothing more), then disposes the factory and the audio device module,
     * and stops the control thread. Waits up to 10 s for that. Idempotent.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        List<AudioPeer> open = new ArrayList<>(peers);
        open.forEach(AudioPeer::close);
        CompletableFuture<Void> disposed = runOnControl(() -> {
            for (AudioPeer peer : open) {
                peer.closeNative();
            }
            if (factory != null) {
                factory.dispose();
                factory = null;
            }
            if (audioModule != null) {
                audioModule.dispose();
                audioModule = null;
            }
            return null;
        });
        try {
            disposed.get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.log(System.Logger.Level.WARNING, "releasing WebRTC took too long or failed: " + e);
        }
        control.shutdown();
        try {
            control.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---- control thread -----------------------------------------------------------------------------------------

    interface ControlTask<T> {
        T run() throws Exception;
    }

    /** Runs a task on the control thread; fails at once when closed. */
    <T> CompletableFuture<T> onControl(ControlTask<T> task) {
        if (closed.get()) {
            return CompletableFuture.failedFuture(new IllegalStateException("WebRTC is shut down"));
        }
        return runOnControl(task);
    }

    private <T> CompletableFuture<T> runOnControl(ControlTask<T> task) {
        CompletableFuture<T> result = new CompletableFuture<>();
        try {
            control.execute(() -> {
                try {
                    result.complete(task.run());
                } catch (Throwable e) {
                    result.completeExceptionally(e);
                }
            });
        } catch (RejectedExecutionException e) {
            result.completeExceptionally(new IllegalStateException("WebRTC is shut down"));
        }
        return result;
    }

    ScheduledFuture<?> schedule(Runnable task, long delayMs) {
        return control.schedule(task, delayMs, TimeUnit.MILLISECONDS);
    }

    void released(AudioPeer peer) {
        peers.remove(peer);
    }

    private PeerConnectionFactory factory() {
        if (factory == null) {
            try {
                audioModule = new HeadlessAudioDeviceModule();
                factory = new PeerConnectionFactory(audioModule);
            } catch (Throwable e) {
                if (audioModule != null) {
                    audioModule.dispose();
                    audioModule = null;
                }
                throw new IllegalStateException("WebRTC cannot start on this machine: " + e
                        + " (webrtc-java's native library needs libpulse.so.0: install Debian's libpulse0)", e);
            }
        }
        return factory;
    }

    private RTCConfiguration configuration() {
        RTCConfiguration configuration = new RTCConfiguration();
        configuration.bundlePolicy = RTCBundlePolicy.MAX_BUNDLE;
        configuration.rtcpMuxPolicy = RTCRtcpMuxPolicy.REQUIRE;
        configuration.iceServers = new ArrayList<>();
        for (IceServer server : iceServers) {
            RTCIceServer ice = new RTCIceServer();
            ice.urls = List.of(server.url());
            ice.username = server.username();
            ice.password = server.password();
            configuration.iceServers.add(ice);
        }
        return configuration;
    }
}
