package dev.earshot.gateway.access;

import dev.earshot.gateway.TestLink;
import dev.earshot.gateway.protocol.voskserver.VoskEndpoint;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Without a token, listening on a private test link (the operator's opt-in, earshot.api.allow-remote-without-token): a
 * client on another address, in a network namespace of its own, reaches the health probes and the console and
 * nothing else, under any spelling, method or header, on the HTTP port and the vosk-server port.
 */
@QuarkusTest
@TestProfile(RouteMatrixRemoteTest.OnTestLink.class)
class RouteMatrixRemoteTest {

    public static final class OnTestLink implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            TestLink.up();
            return Map.of("quarkus.http.host", TestLink.HOST_ADDRESS, "earshot.ingest.vosk.host", TestLink.HOST_ADDRESS,
                    "earshot.api.allow-remote-without-token", "true");
        }
    }

    @Inject
    VoskEndpoint vosk;

    @Test
    void aRemoteCallerWithoutTokenReachesOnlyThePublicRoutes() throws Exception {
        int port = RestAssured.port;
        String host = TestLink.HOST_ADDRESS + ":" + port;
        List<Integer> control = RouteMatrix.fromLink(TestLink.HOST_ADDRESS, port, List.of(
                new RawHttp.Request("GET", "/q/health/live", Map.of("Host", host)),
                new RawHttp.Request("GET", "/", Map.of("Host", host))));
        assertEquals(List.of(200, 200), control, "the remote client reaches the public routes over the test link");

        List<RawHttp.Request> requests = RouteInventory.matrix(Map.of("Host", host, AccessRequest.MARKER_HEADER, "1"));
        RouteMatrix.assertAllRefused("no token, remote caller", requests, RouteMatrix.fromLink(TestLink.HOST_ADDRESS, port, requests));
        List<RawHttp.Request> loopbackHost = RouteMatrix.withHeaders(requests, Map.of("Host", "127.0.0.1:" + port));
        RouteMatrix.assertAllRefused("no token, remote caller naming a loopback Host", loopbackHost,
                RouteMatrix.fromLink(TestLink.HOST_ADDRESS, port, loopbackHost));

        Map<String, String> upgrade = Map.of("Host", TestLink.HOST_ADDRESS + ":" + vosk.port(), "Upgrade", "websocket",
                "Connection", "Upgrade", "Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version", "13");
        List<RawHttp.Request> voskRequests = RouteInventory.variants("/asr/vosk").stream()
                .map(p -> new RawHttp.Request("GET", p, upgrade)).toList();
        RouteMatrix.assertAllRefused("vosk-server port, no token, remote caller", voskRequests,
                RouteMatrix.fromLink(TestLink.HOST_ADDRESS, vosk.port(), voskRequests));
    }
}
