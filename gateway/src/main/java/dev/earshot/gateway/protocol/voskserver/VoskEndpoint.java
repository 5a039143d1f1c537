package dev.earshot.gateway.protocol.voskserver;

import dev.earshot.gateway.Gateway;
import dev.earshot.gateway.access.AccessGuard;
import dev.earshot.gateway.access.AccessLevel;
import dev.earshot.gateway.config.EarshotConfig;
import dev.earshot.gateway.protocol.ConnectionGuard;
import dev.earshot.gateway.protocol.Listening;
import dev.earshot.gateway.session.SessionRefusedException;
import dev.earshot.spi.audio.AudioFormat;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The vosk-server compatible WebSocket endpoint: its own port ({@code earshot.ingest.vosk.port}, vosk-server's 2700,
 * any path, as vosk-server) and {@code /asr/vosk} on the HTTP port. Each WebSocket is one {@link VoskConnection}.
 *
 * <p>Connections per client address ({@code earshot.ingest.max-connections-per-address}) count the dedicated port's
 * TCP connections from accept, and {@code /asr/vosk} WebSockets from their upgrade, together. A connection over the
 * limit gets 503 with Retry-After at its request; beyond twice the limit it is closed at accept. A connection on the
 * dedicated port that has not upgraded within {@code earshot.ingest.handshake-timeout} is closed.
 *
 * <p>When decoding cannot take one more live session of {@code earshot.ingest.vosk.pipeline}
 * ({@link dev.earshot.gateway.session.DecodeAdmission}), a connection gets 503 with Retry-After and the reason before
 * the handshake, so that nothing is held for it.
 */
@ApplicationScoped
public class VoskEndpoint {

    private static final Logger LOG = Logger.getLogger(VoskEndpoint.class);
    public static final String PATH = "/asr/vosk";
    /** Kernel send buffer of each connection of the dedicated port (instead of autotuning up to megabytes). */
    static final int SEND_BUFFER = 64 * 1024;

    private final Vertx vertx;
    private final Gateway gateway;
    private final EarshotConfig config;
    private final AccessGuard access;
    private final ConnectionGuard guard;

    private final AtomicInteger connections = new AtomicInteger();
    /** TCP connections of the dedicated port, by connection: true once over the per-address limit. */
    private final Map<HttpConnection, Boolean> dedicated = new ConcurrentHashMap<>();
    private volatile HttpServer server;
    private volatile VoskConnection.Limits limits;

    @Inject
    VoskEndpoint(Vertx vertx, Gateway gateway, EarshotConfig config, AccessGuard access, ConnectionGuard guard) {
        this.vertx = vertx;
        this.gateway = gateway;
        this.config = config;
        this.access = access;
        this.guard = guard;
    }

    /** After the gateway's runtime started (default observer priority). */
    void onStart(@Observes @Priority(jakarta.interceptor.Interceptor.Priority.APPLICATION + 1000) StartupEvent event) {
        EarshotConfig.VoskConfig vosk = config.ingest().vosk();
        if (!vosk.enabled()) {
            return;
        }
        if (vosk.defaultSampleRate() < AudioFormat.MIN_SAMPLE_RATE || vosk.defaultSampleRate() > AudioFormat.MAX_SAMPLE_RATE) {
            throw new IllegalArgumentException("earshot.ingest.vosk.default-sample-rate: " + vosk.defaultSampleRate()
                    + " is not valid; expected a rate from " + AudioFormat.MIN_SAMPLE_RATE + " to "
                    + AudioFormat.MAX_SAMPLE_RATE + " Hz (vosk-server's default is 8000)");
        }
        // Vert.x's own limits are twice ours, so a message just over ours is read whole and answered with 1009 and a
        // reason (VoskConnection); beyond twice, Vert.x closes the connection itself. Memory stays bounded either way.
        int maxMessage = (int) Math.min(Integer.MAX_VALUE / 2, vosk.maxMessageSize().asLongValue()) * 2;
        HttpServerOptions options = new HttpServerOptions().setHost(vosk.host()).setPort(vosk.port())
                .setMaxWebSocketMessageSize(maxMessage).setMaxWebSocketFrameSize(maxMessage)
                // HTTP/1.1 only: with h2c, Vert.x makes the connection (and calls accept) only at its first bytes.
                .setHttp2ClearTextEnabled(false)
                // Replies are small; a fixed kernel buffer bounds what a client that reads nothing pins there too.
                .setSendBufferSize(SEND_BUFFER)
                // Backstop for connections that never finish a handshake; open WebSockets have their own idle check.
                .setIdleTimeout((int) Math.max(1, vosk.idleTimeout().toSeconds() * 2)).setIdleTimeoutUnit(TimeUnit.SECONDS);
        HttpServer created = Listening.await(vertx.createHttpServer(options).connectionHandler(this::accept)
                        .requestHandler(this::handleOwnPort).listen(),
                "vosk-server endpoint", vosk.host(), vosk.port(), "earshot.ingest.vosk");
        server = created;
        LOG.infof("vosk-server WebSocket endpoint on ws://%s:%d/ and ws://<http host>%s (pipeline '%s')",
                vosk.host(), created.actualPort(), PATH, vosk.pipeline());
    }

    /** A TCP connection to the dedicated port: counted per address, closed when it does not upgrade in time. */
    private void accept(HttpConnection connection) {
        String host = ConnectionGuard.host(connection.remoteAddress());
        int perAddress = config.ingest().maxConnectionsPerAddress();
        if (perAddress > 0 && guard.open("vosk", host) >= 2 * perAddress) {
            guard.refused("vosk", "per-address", String.valueOf(connection.remoteAddress()), guard.open("vosk", host)
                    + " connections from " + host + " are open (earshot.ingest.max-connections-per-address)");
            connection.close();
            return;
        }
        boolean admitted = guard.admit("vosk", host, perAddress);
        if (!admitted) {
            guard.admit("vosk", host, 0); // counted until it is closed, so that twice the limit closes at accept
        }
        dedicated.put(connection, !admitted);
        connection.closeHandler(ignored -> {
            dedicated.remove(connection);
            guard.release("vosk", host);
        });
        long handshake = config.ingest().handshakeTimeout().toMillis();
        vertx.setTimer(Math.max(1, handshake), id -> {
            if (dedicated.containsKey(connection)) {
                guard.closed("vosk", "handshake-timeout", String.valueOf(connection.remoteAddress()),
                        "no WebSocket upgrade within " + handshake + " ms (earshot.ingest.handshake-timeout)");
                connection.close();
            }
        });
    }

    /** Before the gateway drains its pipelines: no new connections, open ones closed (their sessions aborted). */
    void onStop(@Observes @Priority(jakarta.interceptor.Interceptor.Priority.PLATFORM_BEFORE) ShutdownEvent event) {
        HttpServer current = server;
        server = null;
        if (current != null) {
            try {
                current.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                LOG.warnf("vosk-server endpoint: closing the listener failed: %s", e.toString());
            }
        }
    }

    void routes(@Observes Router router) {
        if (config.ingest().vosk().enabled()) {
            router.route(PATH).order(-800).handler(ctx -> handle(ctx.request()));
        }
    }

    /** The dedicated port actually bound (useful with port 0), or -1 when not listening. */
    public int port() {
        HttpServer current = server;
        return current == null ? -1 : current.actualPort();
    }

    /** Connections open now. */
    public int connections() {
        return connections.get();
    }

    private VoskConnection.Limits limits() {
        VoskConnection.Limits current = limits;
        if (current == null) {
            EarshotConfig.VoskConfig vosk = config.ingest().vosk();
            current = new VoskConnection.Limits(vosk.pipeline(), vosk.defaultSampleRate(),
                    vosk.maxMessageSize().asLongValue(), vosk.idleTimeout(), config.ingest().writeStallTimeout(), guard);
            limits = current;
        }
        return current;
    }

    /** The dedicated port: any path, as vosk-server; the access policy of audio in, as on the HTTP port. */
    private void handleOwnPort(HttpServerRequest request) {
        if (access.decide(request, AccessLevel.AUDIO_IN)) {
            handle(request);
        }
    }

    private void handle(HttpServerRequest request) {
        String upgrade = request.getHeader("Upgrade");
        if (upgrade == null || !upgrade.equalsIgnoreCase("websocket")) {
            request.response().setStatusCode(400).putHeader("Content-Type", "text/plain")
                    .end("vosk-server WebSocket endpoint: connect with a WebSocket client, send "
                            + "{\"config\": {\"sample_rate\": 16000}}, 16-bit mono PCM, then {\"eof\" : 1}\n");
            return;
        }
        HttpConnection connection = request.connection();
        Boolean overLimit = dedicated.get(connection);
        String host = ConnectionGuard.host(request.remoteAddress());
        // The dedicated port's connections are counted from accept; /asr/vosk's from here.
        boolean counted = overLimit == null;
        int perAddress = config.ingest().maxConnectionsPerAddress();
        if (Boolean.TRUE.equals(overLimit) || (counted && !guard.admit("vosk", host, perAddress))) {
            String message = perAddress + " connections from " + host + " are open (earshot.ingest.max-connections-per-address)";
            guard.refused("vosk", "per-address", String.valueOf(request.remoteAddress()), message);
            refuse(request, "vosk-server endpoint: " + message);
            return;
        }
        Runnable released = counted ? () -> guard.release("vosk", host) : () -> { };
        int max = config.ingest().vosk().maxSessions();
        if (connections.incrementAndGet() > max) {
            connections.decrementAndGet();
            released.run();
            String message = max + " connections are open (earshot.ingest.vosk.max-sessions)";
            guard.refused("vosk", "max-sessions", String.valueOf(request.remoteAddress()), message);
            refuse(request, "vosk-server endpoint: " + message);
            return;
        }
        if (gateway.runtime() == null || gateway.shuttingDown()) {
            connections.decrementAndGet();
            released.run();
            refuse(request, gateway.shuttingDown() ? "the gateway is shutting down" : "the gateway is starting");
            return;
        }
        String refusal = admissionRefusal();
        if (refusal != null) {
            connections.decrementAndGet();
            released.run();
            guard.refused("vosk", SessionRefusedException.DECODE_LOAD, String.valueOf(request.remoteAddress()), refusal);
            refuse(request, "vosk-server endpoint: " + refusal);
            return;
        }
        request.toWebSocket().onComplete(result -> {
            if (result.failed()) {
                connections.decrementAndGet();
                released.run();
                return;
            }
            dedicated.remove(connection); // upgraded: no handshake timeout; still counted until closed
            new VoskConnection(result.result(), gateway.runtime(), limits(), () -> ConnectionGuard.hangUp(connection), () -> {
                connections.decrementAndGet();
                released.run();
            }).start();
        });
    }

    /**
     * Why decoding cannot take one more live session of the configured pipeline ({@link
     * dev.earshot.gateway.session.DecodeAdmission}), asked before the handshake so that the client gets 503 with
     * Retry-After; null when it can, or when that pipeline does not exist. A client whose {@code config.model} names
     * another pipeline is checked again when its session opens (close 1013 then).
     */
    private String admissionRefusal() {
        var runtime = gateway.runtime();
        String pipeline = config.ingest().vosk().pipeline();
        if (runtime.admission() == null || runtime.pipeline(pipeline).isEmpty()) {
            return null;
        }
        try {
            runtime.admission().check(pipeline, "vosk");
            return null;
        } catch (SessionRefusedException e) {
            return e.getMessage();
        }
    }

    /** 503 with Retry-After; the connection closes after the answer. */
    private static void refuse(HttpServerRequest request, String message) {
        HttpConnection connection = request.connection();
        request.response().setStatusCode(503).putHeader("Retry-After", "5").putHeader("Content-Type", "text/plain")
                .putHeader("Connection", "close").end(message + "\n").onComplete(ignored -> connection.close());
    }
}
