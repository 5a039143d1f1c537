package dev.earshot.gateway.access;

import dev.earshot.gateway.api.SecuredApiTest;
import dev.earshot.gateway.protocol.voskserver.VoskEndpoint;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

/**
 * With a token set: every route the application registers, under every spelling and method, is refused without it,
 * with a wrong one in the header or in {@code access_token}; and reached with it. So is the vosk-server port.
 */
@QuarkusTest
@TestProfile(SecuredApiTest.WithToken.class)
class RouteMatrixTokenTest {

    @Inject
    VoskEndpoint vosk;

    @Test
    void everyProtectedRouteUnderEverySpellingNeedsTheToken() {
        int port = RestAssured.port;
        Map<String, String> host = Map.of("Host", "127.0.0.1:" + port);
        List<RawHttp.Request> none = RouteInventory.matrix(host);
        RouteMatrix.assertAllRefused("token set, none sent", none, send(port, none));
        List<RawHttp.Request> wrong = RouteMatrix.withHeaders(none, Map.of("Authorization", "Bearer wrong-token-0123456789"));
        RouteMatrix.assertAllRefused("token set, a wrong one sent", wrong, send(port, wrong));
        List<RawHttp.Request> query = none.stream().map(r -> new RawHttp.Request(r.method(),
                r.path() + "?access_token=wrong-token-0123456789", r.headers())).toList();
        RouteMatrix.assertAllRefused("token set, a wrong access_token", query, send(port, query));

        RouteMatrix.assertReachable("token set and sent", Map.of("Host", "127.0.0.1:" + port,
                "Authorization", "Bearer " + SecuredApiTest.TOKEN), r -> RawHttp.status("127.0.0.1", port, r));
    }

    @Test
    void theVoskServerPortNeedsTheTokenOnEveryPath() {
        int port = vosk.port();
        Map<String, String> upgrade = Map.of("Host", "127.0.0.1:" + port, "Upgrade", "websocket", "Connection", "Upgrade",
                "Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version", "13");
        List<RawHttp.Request> requests = RouteInventory.variants("/asr/vosk").stream()
                .flatMap(p -> RouteInventory.METHODS.stream().map(m -> new RawHttp.Request(m, p, upgrade))).toList();
        RouteMatrix.assertAllRefused("vosk-server port, token set, none sent", requests, send(port, requests));
        int accepted = RawHttp.status("127.0.0.1", port, new RawHttp.Request("GET", "/?access_token=" + SecuredApiTest.TOKEN, upgrade));
        org.junit.jupiter.api.Assertions.assertEquals(101, accepted, "the token as a query parameter opens the WebSocket");
    }

    static List<Integer> send(int port, List<RawHttp.Request> requests) {
        return requests.stream().map(r -> RawHttp.status("127.0.0.1", port, r)).toList();
    }
}
