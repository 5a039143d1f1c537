package dev.earshot.gateway.access;

import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AccessPolicyTest {

    private static final String ADMIN = "admin-token-0123456789";
    private static final String INGEST = "ingest-token-0123456789";
    private static final String READ = "read-token-0123456789";

    private final AccessPolicy local = new AccessPolicy(AccessPolicy.Tokens.NONE, false);
    private final AccessPolicy secured = new AccessPolicy(new AccessPolicy.Tokens(Optional.of(ADMIN), Optional.of(INGEST),
            Optional.of(READ)), false);

    private static AccessRequest request(String method, String path, String remote, String host, String origin,
                                         String contentType, String authorization, boolean marked) {
        return new AccessRequest(method, path, remote, host, origin, contentType, authorization, null, marked);
    }

    private static AccessRequest loopback(String method, String path) {
        return request(method, path, "127.0.0.1", "127.0.0.1:8080", null, null, null, true);
    }

    private static AccessRequest bearer(String method, String path, String token) {
        return request(method, path, "192.0.2.7", "device:8080", null, null, "Bearer " + token, false);
    }

    @Test
    void pathsResolveAsTheMostPermissiveFrameworkWould() throws Exception {
        assertEquals(new RequestPath("/api/plugins", true), RequestPath.of("/api/plugins"));
        assertEquals("/api/plugins", RequestPath.of("/api;/plugins").canonical());
        assertEquals("/api/plugins", RequestPath.of("/api;x=1/plugins;y").canonical());
        assertEquals("/api/plugins", RequestPath.of("/%61pi/%70lugins").canonical());
        assertEquals("/api/plugins", RequestPath.of("//api//plugins/").canonical());
        assertEquals("/api/plugins", RequestPath.of("/./api/./plugins").canonical());
        assertEquals("/api/plugins", RequestPath.of("/q/health/../../api/plugins").canonical());
        assertEquals("/api/plugins", RequestPath.of("/../../api/plugins").canonical());
        assertEquals("/api/plugins", RequestPath.of("/api/%2e%2e/api/plugins").canonical());
        assertFalse(RequestPath.of("/index.html/").clean());
        assertFalse(RequestPath.of("/q/health;x").clean());
        assertTrue(RequestPath.of("/").clean());
        assertThrows(RequestPath.InvalidPathException.class, () -> RequestPath.of("/api%2Fplugins"));
        assertThrows(RequestPath.InvalidPathException.class, () -> RequestPath.of("/api\\plugins"));
        assertThrows(RequestPath.InvalidPathException.class, () -> RequestPath.of("/api/%zz"));
        assertThrows(RequestPath.InvalidPathException.class, () -> RequestPath.of("/api/%2570lugins"));
        assertThrows(RequestPath.InvalidPathException.class, () -> RequestPath.of("/api/%00"));
    }

    @Test
    void onlyCleanConsoleAndHealthReadsArePublic() throws Exception {
        assertEquals(AccessLevel.PUBLIC, AccessLevel.of("GET", RequestPath.of("/"), false));
        assertEquals(AccessLevel.PUBLIC, AccessLevel.of("GET", RequestPath.of("/q/health/ready"), false));
        assertEquals(AccessLevel.TRANSCRIPTS_OUT, AccessLevel.of("GET", RequestPath.of("/q/metrics"), false));
        assertEquals(AccessLevel.PUBLIC, AccessLevel.of("GET", RequestPath.of("/q/metrics"), true));
        assertEquals(AccessLevel.ADMIN, AccessLevel.of("POST", RequestPath.of("/q/health"), false));
        assertEquals(AccessLevel.ADMIN, AccessLevel.of("GET", RequestPath.of("/q/health/"), false), "not the clean path");
        assertEquals(AccessLevel.ADMIN, AccessLevel.of("GET", RequestPath.of("/Index.html"), false));
        assertEquals(AccessLevel.AUDIO_IN, AccessLevel.of("POST", RequestPath.of("/API;/Transcribe"), false));
        assertEquals(AccessLevel.AUDIO_IN, AccessLevel.of("DELETE", RequestPath.of("/whip/default/abc"), false));
        assertEquals(AccessLevel.TRANSCRIPTS_OUT, AccessLevel.of("GET", RequestPath.of("/api/events/ws"), false));
        assertEquals(AccessLevel.TRANSCRIPTS_OUT, AccessLevel.of("GET", RequestPath.of("/api/sessions"), false));
        assertEquals(AccessLevel.ADMIN, AccessLevel.of("DELETE", RequestPath.of("/api/sessions/x"), false));
        assertEquals(AccessLevel.ADMIN, AccessLevel.of("POST", RequestPath.of("/api/plugins"), false));
        assertEquals(AccessLevel.ADMIN, AccessLevel.of("GET", RequestPath.of("/api/anything-new"), false));
        assertEquals(AccessLevel.TRANSCRIPTS_OUT, AccessLevel.of("GET", RequestPath.of("/api/pipelines/x"), false));
        assertEquals(AccessLevel.ADMIN, AccessLevel.of("PUT", RequestPath.of("/api/pipelines/x"), false));
        assertEquals(AccessLevel.ADMIN, AccessLevel.of("DELETE", RequestPath.of("/api/pipelines/x"), false));
        assertEquals(AccessLevel.ADMIN, AccessLevel.of("GET", RequestPath.of("/somewhere/else"), false));
    }

    @Test
    void eachTokenGrantsItsLevelOnly() {
        assertEquals(401, secured.decide(request("POST", "/api/plugins", "127.0.0.1", "127.0.0.1", null, null, null, true))
                .status(), "loopback needs the token too");
        assertTrue(secured.decide(bearer("POST", "/api/plugins", ADMIN)).allowed());
        assertTrue(secured.decide(bearer("GET", "/api/events", ADMIN)).allowed(), "the full token grants every level");
        assertEquals(401, secured.decide(bearer("POST", "/api/plugins", INGEST)).status());
        assertEquals(401, secured.decide(bearer("POST", "/api/plugins", READ)).status());
        assertTrue(secured.decide(bearer("POST", "/api/transcribe", INGEST)).allowed());
        assertEquals(401, secured.decide(bearer("POST", "/api/transcribe", READ)).status());
        assertTrue(secured.decide(bearer("GET", "/api/sessions", READ)).allowed());
        assertEquals(401, secured.decide(bearer("GET", "/api/sessions", INGEST)).status());
        assertEquals(401, secured.decide(bearer("DELETE", "/api/sessions/x", READ)).status());
        for (String method : java.util.List.of("PUT", "DELETE")) {
            assertTrue(secured.decide(bearer(method, "/api/pipelines/x", ADMIN)).allowed(), method);
            assertEquals(401, secured.decide(bearer(method, "/api/pipelines/x", READ)).status(), method);
            assertEquals(401, secured.decide(bearer(method, "/api/pipelines/x", INGEST)).status(), method);
        }
        assertEquals(401, secured.decide(bearer("GET", "/api/sessions", "wrong-token-0123456789")).status());
        assertTrue(secured.decide(request("GET", "/api/events", "192.0.2.7", "device", null, null, "bearer " + READ, false))
                .allowed(), "the scheme is case-insensitive");
        assertTrue(secured.decide(new AccessRequest("GET", "/api/events/ws", "192.0.2.7", "d", null, null, null, READ, false))
                .allowed(), "the access_token query parameter");
        assertTrue(secured.decide(request("GET", "/q/health/ready", "192.0.2.7", "d", null, null, null, false)).allowed());
        assertEquals(401, secured.decide(request("OPTIONS", "/whip/default", "192.0.2.7", "d", null, null, null, false)).status());
    }

    @Test
    void withoutTokenOnlyThisMachineAndItsOwnPages() {
        assertTrue(local.decide(loopback("POST", "/api/plugins")).allowed());
        assertTrue(local.decide(request("GET", "/api/sessions", "::1", "[::1]:8080", null, null, null, false)).allowed());
        assertTrue(local.decide(request("GET", "/api/sessions", "127.0.0.1", "localhost:8080", "http://localhost:8080",
                null, null, false)).allowed());
        assertEquals(403, local.decide(request("GET", "/api/sessions", "192.0.2.7", "127.0.0.1", null, null, null, false))
                .status(), "a remote peer");
        assertEquals(403, local.decide(request("GET", "/api/sessions", "127.0.0.1", "rebound.example:8080", null, null,
                null, false)).status(), "DNS rebinding: a foreign Host");
        assertEquals(403, local.decide(request("GET", "/api/sessions", "127.0.0.1", "127.0.0.1.example", null, null,
                null, false)).status());
        assertEquals(403, local.decide(request("POST", "/api/pipelines/x/stop", "127.0.0.1", "127.0.0.1:8080",
                "http://evil.example", "text/plain", null, true)).status(), "a foreign Origin");
        assertEquals(403, local.decide(request("POST", "/api/pipelines/x/stop", "127.0.0.1", "127.0.0.1:8080",
                "null", null, null, true)).status(), "an opaque Origin");
        assertEquals(403, local.decide(request("POST", "/api/pipelines/x/stop", "127.0.0.1", "127.0.0.1:8080",
                "http://127.0.0.1:9999", null, null, true)).status(), "another port is another origin");
        assertEquals(403, local.decide(request("POST", "/api/pipelines/x/stop", "127.0.0.1", "127.0.0.1:8080", null,
                "text/plain", null, false)).status(), "a simple request");
        assertEquals(403, local.decide(request("POST", "/api/pipelines/x/stop", "127.0.0.1", "127.0.0.1:8080", null,
                null, null, false)).status(), "a POST without body or marker");
        assertTrue(local.decide(request("POST", "/api/transcribe", "127.0.0.1", "127.0.0.1:8080", null, "audio/wav",
                null, false)).allowed(), "an audio body cannot come from a form");
        assertTrue(local.decide(request("DELETE", "/api/sessions/x", "127.0.0.1", "127.0.0.1:8080", null, null, null,
                false)).allowed(), "DELETE is never simple: browsers ask first, and nobody answers");
        assertEquals(400, local.decide(loopback("GET", "/api%2fsessions")).status());
    }

    @Test
    void settingsThatWouldExposeTheGatewayStopTheStart() {
        var loopbackOnly = java.util.Map.of("quarkus.http.host", "127.0.0.1");
        var anywhere = java.util.Map.of("quarkus.http.host", "0.0.0.0");
        assertFalse(AccessSettings.check(api(null, null, null, false), loopbackOnly).any());
        var exposed = assertThrows(IllegalStateException.class, () -> AccessSettings.check(api(null, null, null, false), anywhere));
        assertTrue(exposed.getMessage().contains("quarkus.http.host=0.0.0.0")
                && exposed.getMessage().contains("earshot.api.token"), exposed.getMessage());
        assertFalse(AccessSettings.check(api(null, null, null, true), anywhere).any(), "the operator's explicit opt-in");
        assertTrue(AccessSettings.check(api(ADMIN, null, null, false), anywhere).any());
        var tooShort = assertThrows(IllegalStateException.class, () -> AccessSettings.check(api("s3cret", null, null, false), loopbackOnly));
        assertTrue(tooShort.getMessage().startsWith("earshot.api.token is 6 characters long"), tooShort.getMessage());
        var placeholder = assertThrows(IllegalStateException.class,
                () -> AccessSettings.check(api("replace-me-with-a-long-random-token", null, null, false), loopbackOnly));
        assertTrue(placeholder.getMessage().contains("placeholder"), placeholder.getMessage());
        var narrowOnly = assertThrows(IllegalStateException.class, () -> AccessSettings.check(api(null, INGEST, null, false), loopbackOnly));
        assertTrue(narrowOnly.getMessage().contains("need earshot.api.token"), narrowOnly.getMessage());
        assertThrows(IllegalStateException.class, () -> AccessSettings.check(api(ADMIN, ADMIN, null, false), loopbackOnly));
    }

    private static dev.earshot.gateway.config.EarshotConfig.ApiConfig api(String token, String ingest, String read,
                                                                          boolean remote) {
        return (dev.earshot.gateway.config.EarshotConfig.ApiConfig) java.lang.reflect.Proxy.newProxyInstance(
                AccessPolicyTest.class.getClassLoader(),
                new Class<?>[]{dev.earshot.gateway.config.EarshotConfig.ApiConfig.class}, (proxy, method, args) ->
                        switch (method.getName()) {
                            case "token" -> Optional.ofNullable(token);
                            case "ingestToken" -> Optional.ofNullable(ingest);
                            case "readToken" -> Optional.ofNullable(read);
                            case "allowRemoteWithoutToken" -> remote;
                            case "publicMetrics" -> false;
                            default -> throw new UnsupportedOperationException(method.getName());
                        });
    }
}
