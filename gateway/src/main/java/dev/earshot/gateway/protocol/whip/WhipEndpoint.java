package dev.earshot.gateway.protocol.whip;

import dev.earshot.gateway.Gateway;
import dev.earshot.gateway.config.EarshotConfig;
import dev.earshot.gateway.protocol.HttpText;
import dev.earshot.gateway.runtime.GatewayRuntime;
import dev.earshot.gateway.pipeline.Pipeline;
import dev.earshot.gateway.session.Session;
import dev.earshot.gateway.session.SessionRefusedException;
import dev.earshot.gateway.session.SessionRequest;
import dev.earshot.webrtc.AudioPeer;
import dev.earshot.webrtc.OpusOffer;
import dev.earshot.webrtc.ReceiveStats;
import dev.earshot.webrtc.WebRtcAudio;
import dev.earshot.spi.source.Pacing;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * WHIP (WebRTC-HTTP ingestion protocol, RFC 9725) on the HTTP port, audio only:
 * <ul>
 * <li>{@code POST /whip/<pipeline>} with {@code Content-Type: application/sdp} and an offer that sends Opus audio:
 * {@code 201 Created}, {@code Location: /whip/<pipeline>/<session>}, {@code ETag}, and the SDP answer (all our ICE
 * candidates in it). 400 names what is wrong with an offer, 413 for one over {@code max-offer-size}, 415 for another
 * content type, 404 for an unknown pipeline, 503 with {@code Retry-After} at the session limit or when decoding is at capacity
 * ({@link dev.earshot.gateway.session.DecodeAdmission}).</li>
 * <li>{@code PATCH} on the Location with {@code application/trickle-ice-sdpfrag}: the client's late candidates, 204
 * ({@code If-Match} other than the ETag or {@code *}: 412).</li>
 * <li>{@code DELETE} on the Location: ends the session (final delivered to the sinks), 200.</li>
 * </ul>
 * With {@code earshot.api.token} set, POST, PATCH and DELETE need {@code Authorization: Bearer <token>}.
 * The offer is checked in Java ({@link OpusOffer}) before webrtc-java sees it.
 */
@ApplicationScoped
public class WhipEndpoint {

    private static final Logger LOG = Logger.getLogger(WhipEndpoint.class);
    public static final String PREFIX = "/whip/";
    /** The pipeline session behind a WHIP resource (as in {@code /api/sessions}), in the 201 answer. */
    public static final String SESSION_HEADER = "X-Earshot-Session";

    private final Gateway gateway;
    private final EarshotConfig config;
    private final MeterRegistry registry;

    /** Open resources by session id; counts toward max-sessions from the POST until the end. */
    private final Map<String, WhipSession> sessions = new ConcurrentHashMap<>();
    private final AtomicInteger reserved = new AtomicInteger();
    private volatile WebRtcAudio webrtc;
    private volatile boolean stopping;

    @Inject
    WhipEndpoint(Gateway gateway, EarshotConfig config, MeterRegistry registry) {
        this.gateway = gateway;
        this.config = config;
        this.registry = registry;
    }

    void onStart(@Observes @Priority(jakarta.interceptor.Interceptor.Priority.APPLICATION + 1000) StartupEvent event) {
        EarshotConfig.WhipConfig whip = config.ingest().whip();
        if (!whip.enabled()) {
            return;
        }
        List<WebRtcAudio.IceServer> servers = new ArrayList<>();
        for (String url : whip.iceServers().orElse(List.of())) {
            if (!url.isBlank()) {
                servers.add(new WebRtcAudio.IceServer(url.trim(), whip.iceUsername().orElse(null), whip.icePassword().orElse(null)));
            }
        }
        if (whip.opusBitrate() < 6000 || whip.opusBitrate() > 510000) {
            throw new IllegalArgumentException("earshot.ingest.whip.opus-bitrate=" + whip.opusBitrate()
                    + " is out of range: Opus takes 6000 to 510000 bits/s (default 96000)");
        }
        webrtc = new WebRtcAudio(servers, Duration.ofSeconds(2), whip.opusBitrate());
        LOG.infof("WHIP endpoint on http://<http host>%s<pipeline> (max %d sessions)", PREFIX, whip.maxSessions());
    }

    /**
     * Before the gateway drains its pipelines: no new sessions, every open one ended on its home context (its final
     * flushed, which the drain waits for), then WebRTC released (peer connections, factory, audio module).
     */
    void onStop(@Observes @Priority(jakarta.interceptor.Interceptor.Priority.PLATFORM_BEFORE) ShutdownEvent event) {
        stopping = true;
        List<CompletableFuture<Void>> ended = new ArrayList<>();
        for (WhipSession session : sessions.values()) {
            CompletableFuture<Void> done = new CompletableFuture<>();
            ended.add(done);
            Context home = session.homeContext();
            home.runOnContext(v -> {
                session.end("the gateway is shutting down", "shutdown");
                done.complete(null);
            });
        }
        try {
            CompletableFuture.allOf(ended.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.warnf("WHIP: ending the open sessions took too long: %s", e.toString());
        }
        WebRtcAudio current = webrtc;
        webrtc = null;
        if (current != null) {
            long begin = System.nanoTime();
            current.close();
            LOG.infof("WHIP: %d sessions ended, WebRTC released in %d ms", ended.size(), (System.nanoTime() - begin) / 1_000_000);
        }
    }

    void routes(@Observes Router router) {
        if (!config.ingest().whip().enabled()) {
            return;
        }
        router.route("/whip/*").order(-800).handler(this::handle);
    }

    /** Resources open now (POSTs being answered included). */
    public int sessions() {
        return reserved.get();
    }

    /** The process's WebRTC, or null when disabled or stopped. */
    public WebRtcAudio webrtc() {
        return webrtc;
    }

    private void handle(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        String[] path = ctx.normalizedPath().substring(PREFIX.length()).split("/", -1);
        String method = request.method().name();
        if (path.length == 1 && !path[0].isEmpty()) {
            switch (method) {
                case "POST" -> {
                    offer(ctx, path[0]);
                }
                case "OPTIONS" -> ctx.response().setStatusCode(204).putHeader("Accept-Post", "application/sdp")
                        .putHeader("Allow", "OPTIONS, POST").end();
                default -> error(ctx, 405, "use POST with an SDP offer (Content-Type: application/sdp)",
                        Map.of("Allow", "OPTIONS, POST"));
            }
        } else if (path.length == 2 && !path[0].isEmpty() && !path[1].isEmpty()) {
            WhipSession session = sessions.get(path[1]);
            if (session == null || !session.pipeline().equals(path[0])) {
                error(ctx, 404, "no WHIP session '" + path[1] + "' in pipeline '" + path[0] + "' (it ended, or never existed)", Map.of());
                return;
            }
            switch (method) {
                case "DELETE" -> {
                    session.end("deleted by the client", "deleted");
                    ctx.response().setStatusCode(200).end();
                }
                case "PATCH" -> {
                    patch(ctx, session);
                }
                case "OPTIONS" -> ctx.response().setStatusCode(204).putHeader("Accept-Patch", "application/trickle-ice-sdpfrag")
                        .putHeader("Allow", "OPTIONS, PATCH, DELETE").end();
                default -> error(ctx, 405, "a WHIP session takes PATCH (trickle ICE) and DELETE",
                        Map.of("Allow", "OPTIONS, PATCH, DELETE"));
            }
        } else {
            error(ctx, 404, "WHIP resources are " + PREFIX + "<pipeline> (POST) and " + PREFIX + "<pipeline>/<session>", Map.of());
        }
    }

    private void offer(RoutingContext ctx, String pipelineName) {
        EarshotConfig.WhipConfig whip = config.ingest().whip();
        GatewayRuntime runtime = gateway.runtime();
        WebRtcAudio rtc = webrtc;
        if (runtime == null || rtc == null || stopping || gateway.shuttingDown()) {
            HttpText.unavailable(ctx, gateway.shuttingDown() || stopping ? "the gateway is shutting down" : "the gateway is starting");
            return;
        }
        Pipeline pipeline = runtime.pipeline(pipelineName).orElse(null);
        if (pipeline == null) {
            error(ctx, 404, "unknown pipeline '" + pipelineName + "' (available: " + String.join(", ",
                    runtime.pipelines().stream().map(Pipeline::name).sorted().toList()) + ")", Map.of());
            return;
        }
        if (!hasType(ctx, "application/sdp")) {
            return;
        }
        if (reserved.incrementAndGet() > whip.maxSessions()) {
            reserved.decrementAndGet();
            HttpText.unavailable(ctx, whip.maxSessions() + " WHIP sessions are open (earshot.ingest.whip.max-sessions)");
            return;
        }
        readBody(ctx, whip.maxOfferSize().asLongValue(), "offer", body -> {
            if (body == null) {
                reserved.decrementAndGet();
                return;
            }
            answer(ctx, pipeline, body, whip);
        });
    }

    private void answer(RoutingContext ctx, Pipeline pipeline, String sdp, EarshotConfig.WhipConfig whip) {
        try {
            OpusOffer.parse(sdp);
        } catch (OpusOffer.InvalidOfferException e) {
            reserved.decrementAndGet();
            error(ctx, 400, "invalid offer: " + e.getMessage(), Map.of());
            return;
        }
        Context home = Vertx.currentContext();
        String etag = "\"" + HexFormat.of().formatHex(randomBytes(12)) + "\"";
        String resource = HexFormat.of().formatHex(randomBytes(16));
        WhipSession whipSession = new WhipSession(pipeline.name(), resource, etag, home, whip.connectTimeout(), whip.idleTimeout(),
                this::ended);
        var remote = ctx.request().remoteAddress();
        Session session;
        try {
            session = pipeline.openSession(new SessionRequest("whip", WhipSession.FORMAT, Pacing.LIVE,
                    Map.of("protocol", "whip", "remote", remote == null ? "unknown" : remote.hostAddress()),
                    true, 0, List.of(), whipSession.sessionListener(), home));
        } catch (SessionRefusedException e) {
            reserved.decrementAndGet();
            HttpText.unavailable(ctx, e.getMessage());
            return;
        }
        whipSession.bind(session);
        sessions.put(resource, whipSession);
        WebRtcAudio rtc = webrtc;
        CompletableFuture<AudioPeer> answered = rtc == null ? CompletableFuture.failedFuture(new IllegalStateException("WebRTC is shut down"))
                : rtc.answer(sdp, whipSession.peerListener());
        answered.whenComplete((peer, failure) -> home.runOnContext(v -> {
            if (failure != null) {
                Throwable cause = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
                        ? failure.getCause() : failure;
                boolean invalid = cause instanceof OpusOffer.InvalidOfferException;
                whipSession.end(invalid ? "invalid offer: " + cause.getMessage() : "no answer: " + cause.getMessage(), "failed");
                error(ctx, invalid ? 400 : 503, invalid ? "invalid offer: " + cause.getMessage() : cause.getMessage(),
                        invalid ? Map.of() : Map.of("Retry-After", "5"));
                return;
            }
            whipSession.started(peer);
            String location = PREFIX + pipeline.name() + "/" + resource;
            ctx.response().setStatusCode(201).putHeader("Location", location).putHeader("ETag", etag)
                    .putHeader(SESSION_HEADER, session.id())
                    .putHeader("Content-Type", "application/sdp")
                    .putHeader("Access-Control-Expose-Headers", "Location, ETag, " + SESSION_HEADER)
                    .end(peer.answerSdp());
            LOG.infof("WHIP session %s in pipeline '%s' from %s: answered", session.id(), pipeline.name(),
                    remote == null ? "unknown" : remote.hostAddress());
        }));
    }

    private static byte[] randomBytes(int count) {
        byte[] bytes = new byte[count];
        WhipIds.nextBytes(bytes);
        return bytes;
    }

    private void patch(RoutingContext ctx, WhipSession session) {
        if (!hasType(ctx, "application/trickle-ice-sdpfrag")) {
            return;
        }
        String ifMatch = ctx.request().getHeader("If-Match");
        if (ifMatch != null && !ifMatch.trim().equals("*") && !ifMatch.trim().equals(session.etag())) {
            error(ctx, 412, "If-Match " + ifMatch + " does not match the session's ETag", Map.of());
            return;
        }
        AudioPeer peer = session.peer();
        if (peer == null) {
            error(ctx, 409, "the session is still being answered; send candidates after the 201", Map.of());
            return;
        }
        Context home = Vertx.currentContext();
        readBody(ctx, config.ingest().whip().maxOfferSize().asLongValue(), "trickle-ICE fragment", fragment -> {
            if (fragment == null) {
                return;
            }
            peer.addCandidates(fragment).whenComplete((added, failure) -> home.runOnContext(v -> {
                if (failure != null) {
                    error(ctx, 409, "candidates not added: " + (failure.getCause() != null ? failure.getCause().getMessage()
                            : failure.getMessage()), Map.of());
                } else {
                    ctx.response().setStatusCode(204).end();
                }
            }));
        });
    }

    private void ended(WhipSession session, String cause) {
        if (session.session() != null && sessions.remove(session.resource(), session)) {
            reserved.decrementAndGet();
        } else if (session.session() == null) {
            reserved.decrementAndGet();
        }
        Counter.builder("earshot.whip.sessions.ended").description("WHIP sessions ended, by cause")
                .tag("cause", cause).register(registry).increment();
        AudioPeer peer = session.peer();
        if (peer != null) {
            peer.finalStats().thenAccept(this::countReceived);
        }
    }

    /** WebRTC's receive figures of an ended session: packets, loss, and the audio its jitter buffer altered. */
    private void countReceived(ReceiveStats stats) {
        if (stats == ReceiveStats.NONE) {
            return;
        }
        Counter.builder("earshot.whip.packets.received").description("RTP audio packets received over WHIP")
                .register(registry).increment(stats.packetsReceived());
        Counter.builder("earshot.whip.packets.lost").description("RTP audio packets lost over WHIP")
                .register(registry).increment(stats.packetsLost());
        countAltered("concealed", stats.concealedSeconds());
        countAltered("inserted", stats.insertedSeconds());
        countAltered("removed", stats.removedSeconds()); // the last series counted: WhipBrowserIT waits for it
    }

    private void countAltered(String kind, double seconds) {
        Counter.builder("earshot.whip.audio.altered.seconds")
                .description("Audio WebRTC's jitter buffer made up (concealed: late or lost packets) or stretched"
                        + " (inserted, removed) before decoding, in seconds")
                .tag("kind", kind).register(registry).increment(seconds);
    }

    private static boolean hasType(RoutingContext ctx, String expected) {
        return HttpText.hasType(ctx, expected, Map.of("Accept-Post", "application/sdp"));
    }

    private static void readBody(RoutingContext ctx, long max, String what, Consumer<String> then) {
        HttpText.readBody(ctx, max, what, "earshot.ingest.whip.max-offer-size", then);
    }

    private static void error(RoutingContext ctx, int status, String message, Map<String, String> headers) {
        HttpText.error(ctx, status, message, headers);
    }
}
