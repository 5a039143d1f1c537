package dev.earshot.gateway.protocol.wyomingserver;

import org.jboss.logging.Logger;

import javax.jmdns.JmDNS;
import javax.jmdns.ServiceInfo;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Advertises the Wyoming server over zeroconf (multicast DNS service discovery) as {@code _wyoming._tcp}, the way
 * other Wyoming servers do, so that Home Assistant offers to add it without anyone typing its address.
 *
 * <p>One mDNS responder (JmDNS) per advertised IPv4 address: the address the server is bound to, or every up,
 * multicast-capable, non-loopback IPv4 address when it listens on all of them. A server bound to loopback is not
 * advertised: nobody else could reach it. Starting probes the network for a second or two, so it runs on its own
 * thread ({@code earshot-zeroconf}) and never delays start-up; {@link #close()} withdraws the service (mDNS goodbye)
 * and waits for that thread.
 */
final class ZeroconfAdvertiser implements AutoCloseable {

    static final String SERVICE_TYPE = "_wyoming._tcp.local.";
    private static final Logger LOG = Logger.getLogger(ZeroconfAdvertiser.class);

    private final List<JmDNS> responders = Collections.synchronizedList(new ArrayList<>());
    private final CompletableFuture<Void> started = new CompletableFuture<>();
    private final Thread thread;
    private volatile boolean closed;

    /**
     * @param name  the service instance name Home Assistant shows (a DNS label: at most 63 bytes)
     * @param host  the address the Wyoming server listens on ({@code 0.0.0.0} or {@code ::}: every interface)
     * @param port  the port it listens on
     */
    ZeroconfAdvertiser(String name, String host, int port) {
        thread = new Thread(() -> advertise(name, host, port), "earshot-zeroconf");
        thread.setDaemon(true);
        thread.start();
    }

    /** The IPv4 addresses to advertise on for a server listening on {@code host}; empty for loopback. */
    static List<InetAddress> addresses(String host) throws IOException {
        InetAddress bound = InetAddress.getByName(host);
        if (bound.isLoopbackAddress()) {
            return List.of();
        }
        if (!bound.isAnyLocalAddress()) {
            return List.of(bound);
        }
        List<InetAddress> addresses = new ArrayList<>();
        for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            if (usable(nic)) {
                Collections.list(nic.getInetAddresses()).stream()
                        .filter(a -> a instanceof Inet4Address && !a.isLoopbackAddress()).forEach(addresses::add);
            }
        }
        return addresses;
    }

    private static boolean usable(NetworkInterface nic) {
        try {
            return nic.isUp() && !nic.isLoopback() && nic.supportsMulticast();
        } catch (SocketException e) {
            return false;
        }
    }

    private void advertise(String name, String host, int port) {
        try {
            List<InetAddress> addresses = addresses(host);
            if (addresses.isEmpty()) {
                LOG.infof("Wyoming server: not advertised over zeroconf, it listens on %s only (set"
                        + " earshot.ingest.wyoming.host to a LAN address or 0.0.0.0 to be found)", host);
            }
            for (InetAddress address : addresses) {
                if (closed) {
                    break;
                }
                JmDNS responder = JmDNS.create(address, name);
                responders.add(responder);
                responder.registerService(ServiceInfo.create(SERVICE_TYPE, name, port, 0, 0, Map.<String, String>of()));
                LOG.infof("Wyoming server advertised over zeroconf as '%s' (%s) on %s:%d", name, SERVICE_TYPE,
                        address.getHostAddress(), port);
            }
            started.complete(null);
        } catch (IOException | RuntimeException e) {
            LOG.warnf("Wyoming server: zeroconf advertising failed (%s); add the server in Home Assistant by its"
                    + " address, or turn advertising off with earshot.ingest.wyoming.zeroconf=false", e.toString());
            started.complete(null);
        }
    }

    /** Waits until the service is registered on every address (or advertising failed), at most {@code millis}. */
    boolean awaitStarted(long millis) throws InterruptedException {
        try {
            started.get(millis, TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            return true;
        }
    }

    /** Withdraws the service (goodbye packets) and stops every responder; idempotent. */
    @Override
    public void close() {
        closed = true;
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        List<JmDNS> all;
        synchronized (responders) {
            all = List.copyOf(responders);
            responders.clear();
        }
        for (JmDNS responder : all) {
            try {
                responder.unregisterAllServices();
                responder.close();
            } catch (IOException | RuntimeException e) {
                LOG.debugf("zeroconf: closing the responder failed: %s", e);
            }
        }
    }
}
