package dev.earshot.gateway.protocol;

import dev.earshot.gateway.config.EarshotConfig;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.handler.timeout.IdleStateHandler;
import io.quarkus.vertx.http.HttpServerOptionsCustomizer;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.impl.ConnectionBase;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Connection limits of the HTTP port (Quarkus's server), which gives no hook at TCP accept:
 * <ul>
 * <li>Until its first request a connection has {@code earshot.ingest.handshake-timeout} as its idle timeout, so a
 * TCP connection that sends nothing is closed after it (the server's idle timeout is set to it here).</li>
 * <li>At its first request the connection is counted against {@code earshot.ingest.http-max-connections-per-address}
 * for its address; over the limit it gets 503 with Retry-After and is closed. Otherwise its idle timeout becomes
 * {@code earshot.ingest.http-idle-timeout} (the Netty idle handler Vert.x installed is replaced) until it closes.</li>
 * </ul>
 * This runs before every other route, whatever the path.
 */
@ApplicationScoped
public class HttpConnectionLimits implements HttpServerOptionsCustomizer {

    private static final Logger LOG = Logger.getLogger(HttpConnectionLimits.class);
    static final String LISTENER = "http";

    @Inject
    EarshotConfig config;

    @Inject
    ConnectionGuard guard;

    /** Connections seen, by connection: false when refused (answered 503, closing). */
    private final Map<HttpConnection, Boolean> seen = new ConcurrentHashMap<>();

    @Override
    public void customizeHttpServer(HttpServerOptions options) {
        long handshake = Math.max(1, config.ingest().handshakeTimeout().toMillis());
        options.setIdleTimeout((int) Math.min(Integer.MAX_VALUE, handshake)).setIdleTimeoutUnit(TimeUnit.MILLISECONDS);
        // No cleartext HTTP/2 upgrade (h2c): the upgraded connection gets a new pipeline whose idle handler keeps the
        // handshake timeout, so a request answered later than that (a long transcription) was cut with no answer. A
        // client asking for h2c (the JDK's HttpClient does by default) is answered in HTTP/1.1; HTTP/2 over TLS stays.
        options.setHttp2ClearTextEnabled(false);
    }

    void routes(@Observes Router router) {
        // Ahead of the access check: a client refused there still holds its connection, so it is counted first.
        router.route().order(dev.earshot.gateway.access.AccessGuard.ORDER - 1).handler(this::check);
    }

    /** Connections open on the HTTP port from {@code host}, counted from their first request. */
    public int open(String host) {
        return guard.open(LISTENER, host);
    }

    private void check(RoutingContext ctx) {
        HttpConnection connection = ctx.request().connection();
        Boolean admitted = connection == null ? Boolean.TRUE : seen.get(connection);
        if (admitted == null) {
            admitted = admit(connection);
        }
        if (admitted) {
            ctx.next();
            return;
        }
        int max = config.ingest().httpMaxConnectionsPerAddress();
        ctx.response().setStatusCode(503).putHeader("Retry-After", "5").putHeader("Content-Type", "text/plain")
                .putHeader("Connection", "close").end(max + " connections from " + ConnectionGuard.host(
                        connection.remoteAddress()) + " are open (earshot.ingest.http-max-connections-per-address)\n")
                .onComplete(ignored -> connection.close());
    }

    private boolean admit(HttpConnection connection) {
        String host = ConnectionGuard.host(connection.remoteAddress());
        int max = config.ingest().httpMaxConnectionsPerAddress();
        boolean admitted = guard.admit(LISTENER, host, max);
        seen.put(connection, admitted);
        if (!admitted) {
            guard.refused(LISTENER, "per-address", String.valueOf(connection.remoteAddress()), max + " connections from "
                    + host + " are open (earshot.ingest.http-max-connections-per-address)");
        } else {
            relaxIdleTimeout(connection);
        }
        Runnable forget = () -> {
            if (Boolean.TRUE.equals(seen.remove(connection))) {
                guard.release(LISTENER, host);
            }
        };
        if (connection instanceof ConnectionBase base) {
            base.closeFuture().onComplete(ignored -> forget.run());
        } else {
            // Not Vert.x's connection type: no close signal without replacing the owner's close handler.
            LOG.debugf("HTTP connection of type %s: not counted", connection.getClass().getName());
            forget.run();
            seen.remove(connection);
            return true;
        }
        return admitted;
    }

    /** From the handshake timeout to the idle timeout, on the connection's Netty pipeline. */
    private void relaxIdleTimeout(HttpConnection connection) {
        if (!(connection instanceof ConnectionBase base)) {
            return;
        }
        Channel channel = base.channel();
        long idle = Math.max(1, config.ingest().httpIdleTimeout().toMillis());
        Runnable swap = () -> {
            ChannelHandler current = channel.pipeline().get("idle");
            if (current instanceof IdleStateHandler) {
                channel.pipeline().replace("idle", "idle", new IdleStateHandler(0, 0, idle, TimeUnit.MILLISECONDS));
            }
        };
        if (channel.eventLoop().inEventLoop()) {
            swap.run();
        } else {
            channel.eventLoop().execute(swap);
        }
    }
}
