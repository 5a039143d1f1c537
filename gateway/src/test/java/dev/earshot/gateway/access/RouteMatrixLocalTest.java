package dev.earshot.gateway.access;

import dev.earshot.gateway.protocol.voskserver.VoskEndpoint;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

/**
 * Without a token (the default): from this machine, a request naming a foreign {@code Host} (DNS rebinding), one from
 * another site's page ({@code Origin}), and a change made with a request a web form can send are all refused, on every
 * route, spelling and method, and on the vosk-server port; the console's own requests reach their routes.
 */
@QuarkusTest
class RouteMatrixLocalTest {

    @Inject
    VoskEndpoint vosk;

    @Test
    void foreignHostsAndPagesReachNothing() {
        int port = RestAssured.port;
        List<RawHttp.Request> rebound = RouteInventory.matrix(Map.of("Host", "rebound.example:" + port,
                AccessRequest.MARKER_HEADER, "1"));
        RouteMatrix.assertAllRefused("no token, rebinding Host", rebound, RouteMatrixTokenTest.send(port, rebound));
        List<RawHttp.Request> foreign = RouteInventory.matrix(Map.of("Host", "127.0.0.1:" + port,
                "Origin", "http://attacker.example", AccessRequest.MARKER_HEADER, "1"));
        RouteMatrix.assertAllRefused("no token, foreign Origin", foreign, RouteMatrixTokenTest.send(port, foreign));
        List<RawHttp.Request> simple = RouteInventory.matrix(Map.of("Host", "127.0.0.1:" + port,
                "Content-Type", "text/plain")).stream().filter(r -> r.method().equals("POST")).toList();
        RouteMatrix.assertAllRefused("no token, simple cross-site POST", simple, RouteMatrixTokenTest.send(port, simple));

        RouteMatrix.assertReachable("no token, this machine", Map.of("Host", "127.0.0.1:" + port,
                "Origin", "http://127.0.0.1:" + port, AccessRequest.MARKER_HEADER, "1"), r -> RawHttp.status("127.0.0.1", port, r));
    }

    @Test
    void theVoskServerPortRefusesForeignHostsAndPages() {
        int port = vosk.port();
        Map<String, String> upgrade = Map.of("Upgrade", "websocket", "Connection", "Upgrade",
                "Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version", "13");
        List<RawHttp.Request> requests = RouteInventory.variants("/").stream().map(p -> new RawHttp.Request("GET", p, upgrade))
                .toList();
        List<RawHttp.Request> rebound = RouteMatrix.withHeaders(requests, Map.of("Host", "rebound.example:" + port));
        RouteMatrix.assertAllRefused("vosk-server port, no token, rebinding Host", rebound, RouteMatrixTokenTest.send(port, rebound));
        List<RawHttp.Request> foreign = RouteMatrix.withHeaders(requests, Map.of("Host", "127.0.0.1:" + port,
                "Origin", "http://attacker.example"));
        RouteMatrix.assertAllRefused("vosk-server port, no token, foreign Origin", foreign, RouteMatrixTokenTest.send(port, foreign));
        org.junit.jupiter.api.Assertions.assertEquals(101, RawHttp.status("127.0.0.1", port,
                new RawHttp.Request("GET", "/", RouteMatrix.withHeaders(List.of(new RawHttp.Request("GET", "/", upgrade)),
                        Map.of("Host", "127.0.0.1:" + port)).get(0).headers())), "a local client opens the WebSocket");
    }
}
