package dev.earshot.gateway.protocol;

import dev.earshot.gateway.TestLink;
import dev.earshot.gateway.protocol.wyomingserver.WyomingServer;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Wyoming's peer allow-list with an API token set, against peers that are really remote: a network namespace made
 * by the test, joined to this one by a veth pair. The Wyoming server listens on the host end of that private link
 * only; the namespace holds one address outside {@code earshot.ingest.wyoming.allowed-peers} and one inside it.
 */
@QuarkusTest
@TestProfile(WyomingAllowListTest.RemotePeers.class)
class WyomingAllowListTest {

    /** The gateway's end of the link. */
    static final String HOST = TestLink.HOST_ADDRESS;
    /** A peer outside the allow-list. */
    static final String STRANGER = TestLink.CLIENT_ADDRESS;
    /** A peer inside it. */
    static final String FRIEND = TestLink.SECOND_CLIENT_ADDRESS;

    /** The link is made before the gateway starts, since the Wyoming server listens on it. */
    public static final class RemotePeers implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            TestLink.up();
            return Map.of("earshot.api.token", "wyoming-allow-list-test-token-0123456789",
                    "earshot.ingest.wyoming.host", HOST,
                    "earshot.ingest.wyoming.allowed-peers", FRIEND + "/32");
        }
    }

    /** A Wyoming ping from inside the namespace, from {@code source}: the reply line, or "closed" when there is none. */
    private static String pingFromNamespace(String source, int port) throws Exception {
        String script = String.join("\n",
                "import socket, sys",
                "s = socket.create_connection((sys.argv[2], int(sys.argv[3])), timeout=10, source_address=(sys.argv[1], 0))",
                "s.sendall(b'{\"type\": \"ping\", \"data\": {\"text\": \"hello\"}}\\n')",
                "data = b''",
                "try:",
                "    while b'\\n' not in data:",
                "        chunk = s.recv(4096)",
                "        if not chunk:",
                "            break",
                "        data += chunk",
                "except ConnectionResetError:",
                "    pass",
                "print(data.split(b'\\n')[0].decode().strip() or 'closed')");
        return TestLink.exec(TestLink.PYTHON, "-c", script, source, HOST, String.valueOf(port)).strip();
    }

    @Inject
    WyomingServer wyoming;

    @Inject
    MeterRegistry registry;

    private double refusedPeers() {
        Counter counter = registry.find("earshot.ingest.connections.refused").tag("listener", "wyoming").tag("reason", "peer").counter();
        return counter == null ? 0 : counter.count();
    }

    @Test
    void aPeerOutsideTheAllowListIsClosedAtAccept() throws Exception {
        double before = refusedPeers();
        String reply = pingFromNamespace(STRANGER, wyoming.port());
        assertEquals("closed", reply, "a peer outside earshot.ingest.wyoming.allowed-peers gets nothing");
        assertEquals(before + 1, refusedPeers(), "the refusal is counted");
    }

    @Test
    void aPeerInsideTheAllowListIsServed() throws Exception {
        String reply = pingFromNamespace(FRIEND, wyoming.port());
        assertTrue(reply.startsWith("{\"type\":\"pong\""), "an allowed peer is served: " + reply);
    }

    @Test
    void loopbackIsServed() throws Exception {
        try (java.net.Socket socket = new java.net.Socket()) {
            socket.bind(new java.net.InetSocketAddress("127.0.0.1", 0));
            socket.connect(new java.net.InetSocketAddress(HOST, wyoming.port()), 5_000);
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write("{\"type\": \"ping\"}\n".getBytes(StandardCharsets.UTF_8));
            byte[] line = new byte[256];
            int n = socket.getInputStream().read(line);
            assertTrue(n > 0 && new String(line, 0, n, StandardCharsets.UTF_8).startsWith("{\"type\":\"pong\""),
                    "a loopback peer is served");
        }
    }
}
