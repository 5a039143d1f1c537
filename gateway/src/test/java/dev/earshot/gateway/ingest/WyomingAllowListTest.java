package dev.earshot.gateway.ingest;

import dev.earshot.gateway.ingest.wyoming.WyomingServer;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

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

    private static final long PID = ProcessHandle.current().pid();
    private static final String NAMESPACE = "earshot-wy-" + PID;
    private static final String HOST_LINK = "ewy" + (PID % 100_000) + "h";
    private static final String PEER_LINK = "ewy" + (PID % 100_000) + "n";
    private static final String NET = "10.231." + (PID % 250) + ".";
    /** The gateway's end of the link. */
    static final String HOST = NET + "1";
    /** A peer outside the allow-list. */
    static final String STRANGER = NET + "2";
    /** A peer inside it. */
    static final String FRIEND = NET + "3";

    /** The link is made before the gateway starts, since the Wyoming server listens on it. */
    public static final class RemotePeers implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            makeLink();
            return Map.of("earshot.api.token", "wyoming-allow-list-test-token-0123456789",
                    "earshot.ingest.wyoming.host", HOST,
                    "earshot.ingest.wyoming.allowed-peers", FRIEND + "/32");
        }
    }

    private static synchronized void makeLink() {
        try {
            if (run("ip", "netns", "list").contains(NAMESPACE)) {
                return;
            }
            runChecked("ip", "netns", "add", NAMESPACE);
            runChecked("ip", "link", "add", HOST_LINK, "type", "veth", "peer", "name", PEER_LINK);
            runChecked("ip", "link", "set", PEER_LINK, "netns", NAMESPACE);
            runChecked("ip", "addr", "add", HOST + "/29", "dev", HOST_LINK);
            runChecked("ip", "link", "set", HOST_LINK, "up");
            runChecked("ip", "netns", "exec", NAMESPACE, "ip", "addr", "add", STRANGER + "/29", "dev", PEER_LINK);
            runChecked("ip", "netns", "exec", NAMESPACE, "ip", "addr", "add", FRIEND + "/29", "dev", PEER_LINK);
            runChecked("ip", "netns", "exec", NAMESPACE, "ip", "link", "set", PEER_LINK, "up");
            runChecked("ip", "netns", "exec", NAMESPACE, "ip", "link", "set", "lo", "up");
        } catch (Exception e) {
            throw new IllegalStateException("cannot make the test's network namespace (needs root and iproute2): " + e, e);
        }
    }

    @AfterAll
    static void removeLink() throws Exception {
        run("ip", "netns", "delete", NAMESPACE); // takes the veth pair with it
        run("ip", "link", "delete", HOST_LINK);
    }

    private static String run(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IOException(String.join(" ", command) + ": still running after 30 s");
        }
        return process.exitValue() == 0 ? output : "exit " + process.exitValue() + ": " + output;
    }

    private static void runChecked(String... command) throws IOException, InterruptedException {
        String output = run(command);
        if (output.startsWith("exit ")) {
            throw new IOException(String.join(" ", command) + " failed: " + output);
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
        List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", NAMESPACE, ThirdPartyClients.PYTHON, "-c",
                script, source, HOST, String.valueOf(port)));
        String output = run(command.toArray(String[]::new)).strip();
        assertTrue(!output.startsWith("exit "), "the namespace client failed: " + output);
        return output;
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
