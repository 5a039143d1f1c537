package dev.earshot.gateway.protocol;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.net.SocketAddress;
import jakarta.inject.Singleton;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Connections per client address on each listener ({@code vosk}, {@code wyoming}, {@code http}), and the log lines
 * and counters of clients refused or closed for a limit. Refusals are logged at most once per second per listener
 * (with the number left out since), so a flood cannot flood the log too. Thread-safe: listeners accept on several
 * event loops. A singleton (no client proxy), so that connections closing during shutdown can still release.
 *
 * <p>Meters: {@code earshot_ingest_connections_refused_total{listener, reason}} and
 * {@code earshot_ingest_clients_closed_total{listener, cause}}.
 */
@Singleton
public class ConnectionGuard {

    private static final Logger LOG = Logger.getLogger(ConnectionGuard.class);
    private static final long LOG_INTERVAL_NANOS = 1_000_000_000L;

    @Inject
    MeterRegistry registry;

    private final Map<String, Map<String, Integer>> open = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> lastLog = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> unlogged = new ConcurrentHashMap<>();

    /** The host part of a peer address ("?" when unknown), the key connections are counted under. */
    public static String host(SocketAddress remote) {
        if (remote == null) {
            return "?";
        }
        return remote.hostAddress() != null ? remote.hostAddress() : String.valueOf(remote.host());
    }

    /**
     * Closes a client's TCP connection at once, without the flush and closing handshake that wait for a client that
     * reads nothing. Call on the connection's event loop.
     */
    public static void hangUp(io.vertx.core.http.HttpConnection connection) {
        if (!closeAtOnce(connection)) {
            connection.close();
        }
    }

    /** The same for a plain TCP client (Wyoming). */
    public static void hangUp(io.vertx.core.net.NetSocket socket) {
        if (!closeAtOnce(socket)) {
            socket.close();
        }
    }

    private static boolean closeAtOnce(Object connection) {
        if (!(connection instanceof io.vertx.core.net.impl.ConnectionBase base)) {
            return false;
        }
        // From the pipeline's first handler: Vert.x's own handlers would wait for the writes the client never reads.
        io.netty.channel.ChannelHandlerContext first = base.channel().pipeline().firstContext();
        if (first != null) {
            first.close();
        } else {
            base.channel().close();
        }
        return true;
    }

    /**
     * Counts a connection of {@code host} on {@code listener} when it has fewer than {@code max} open there (max 0:
     * no limit); false when it has {@code max} already. Each true must be matched by one {@link #release}.
     */
    public boolean admit(String listener, String host, int max) {
        Map<String, Integer> counts = open.computeIfAbsent(listener, l -> new ConcurrentHashMap<>());
        boolean[] admitted = {false};
        counts.compute(host, (h, n) -> {
            int current = n == null ? 0 : n;
            if (max > 0 && current >= max) {
                return n;
            }
            admitted[0] = true;
            return current + 1;
        });
        return admitted[0];
    }

    public void release(String listener, String host) {
        Map<String, Integer> counts = open.get(listener);
        if (counts != null) {
            counts.computeIfPresent(host, (h, n) -> n <= 1 ? null : n - 1);
        }
    }

    /** Connections {@code host} has open on {@code listener} now. */
    public int open(String listener, String host) {
        Map<String, Integer> counts = open.get(listener);
        Integer n = counts == null ? null : counts.get(host);
        return n == null ? 0 : n;
    }

    /** A connection refused at accept or handshake: a counter, and a (rate-limited) log line naming the key. */
    public void refused(String listener, String reason, String peer, String message) {
        Counter.builder("earshot.ingest.connections.refused").description("Connections refused by an ingest limit")
                .tag("listener", listener).tag("reason", reason).register(registry).increment();
        log(listener, "%s: refused %s: %s", listener, peer, message);
    }

    /** An open client closed by a limit (handshake timeout, write stall): a counter and a log line. */
    public void closed(String listener, String cause, String peer, String message) {
        Counter.builder("earshot.ingest.clients.closed").description("Ingest clients closed by a limit")
                .tag("listener", listener).tag("cause", cause).register(registry).increment();
        log(listener, "%s: closed %s: %s", listener, peer, message);
    }

    private void log(String listener, String format, String a, String b, String c) {
        long now = System.nanoTime();
        AtomicLong last = lastLog.computeIfAbsent(listener, l -> new AtomicLong(now - LOG_INTERVAL_NANOS));
        AtomicLong skipped = unlogged.computeIfAbsent(listener, l -> new AtomicLong());
        long previous = last.get();
        if (now - previous >= LOG_INTERVAL_NANOS && last.compareAndSet(previous, now)) {
            long more = skipped.getAndSet(0);
            LOG.warnf(format + (more > 0 ? " (and %d more in the last seconds)" : ""), a, b, c, more);
        } else {
            skipped.incrementAndGet();
        }
    }
}
