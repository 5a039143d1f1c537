package dev.earshot.gateway.ingest.vosk;

import dev.earshot.gateway.Gateway;
import dev.earshot.gateway.access.AccessGuard;
import dev.earshot.gateway.access.AccessLevel;
import dev.earshot.gateway.config.EarshotConfig;
import dev.earshot.gateway.ingest.Listening;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The vosk-server compatible WebSocket endpoint: its own port ({@code earshot.ingest.vosk.port}, vosk-server's 2700,
 * any path, as vosk-server) and {@code /asr/vosk} on the HTTP port. Each WebSocket is one {@link VoskConnection}.
 */
@ApplicationScoped
public class VoskEndpoint {

    private static final Logger LOG = Logger.getLogger(VoskEndpoint.class);
    public static final String PATH = "/asr/vosk";

    @Inject
    Vertx vertx;

    @Inject
    Gateway gateway;

    @Inject
    EarshotConfig config;

    @Inject
    AccessGuard access;

    private final AtomicInteger connections = new AtomicInteger();
    private volatile HttpServer server;
    private volatile VoskConnection.Limits limits;

    /** After the gateway's runtime started (default observer priority). */
    void onStart(@Observes @Priority(jakarta.interceptor.Interceptor.Priority.APPLICATION + 1000) StartupEvent event) {
        EarshotConfig.VoskConfig vosk = config.ingest().vosk();
        if (!vosk.enabled()) {
            return;
        }
        // Vert.x's own limits are twice ours, so a message just over ours is read whole and answered with 1009 and a
        // reason (VoskConnection); beyond twice, Vert.x closes the connection itself. Memory stays bounded either way.
        int maxMessage = (int) Math.min(Integer.MAX_VALUE / 2, vosk.maxMessageSize().asLongValue()) * 2;
        HttpServerOptions options = new HttpServerOptions().setHost(vosk.host()).setPort(vosk.port())
                .setMaxWebSocketMessageSize(maxMessage).setMaxWebSocketFrameSize(maxMessage)
                // Backstop for connections that never finish a handshake; open WebSockets have their own idle check.
                .setIdleTimeout((int) Math.max(1, vosk.idleTimeout().toSeconds() * 2)).setIdleTimeoutUnit(TimeUnit.SECONDS);
        HttpServer created = Listening.await(vertx.createHttpServer(options).requestHandler(this::handleOwnPort).listen(),
                "vosk-server endpoint", vosk.host(), vosk.port(), "earshot.ingest.vosk");
        server = created;
        LOG.infof("vosk-server WebSocket endpoint on ws://%s:%d/ and ws://<http host>%s (pipeline '%s')",
                vosk.host(), created.actualPort(), PATH, vosk.pipeline());
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
            current = new VoskConnection.Limits(vosk.pipeline(), vosk.maxMessageSize().asLongValue(), vosk.idleTimeout());
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
        int max = config.ingest().vosk().maxSessions();
        if (connections.incrementAndGet() > max) {
            connections.decrementAndGet();
            request.response().setStatusCode(503).putHeader("Retry-After", "5").putHeader("Content-Type", "text/plain")
                    .end("vosk-server endpoint: " + max + " connections are open (earshot.ingest.vosk.max-sessions)\n");
            return;
        }
        if (gateway.runtime() == null || gateway.shuttingDown()) {
            connections.decrementAndGet();
            request.response().setStatusCode(503).putHeader("Retry-After", "5").putHeader("Content-Type", "text/plain")
                    .end(gateway.shuttingDown() ? "the gateway is shutting down\n" : "the gateway is starting\n");
            return;
        }
        request.toWebSocket().onComplete(result -> {
            if (result.failed()) {
                connections.decrementAndGet();
                return;
            }
            new VoskConnection(result.result(), gateway.runtime(), limits(), connections::decrementAndGet).start();
        });
    }
}
