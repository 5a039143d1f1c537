package dev.earshot.gateway.api;

import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AccessPolicyTest {

    private final AccessPolicy open = new AccessPolicy(Optional.empty());
    private final AccessPolicy secured = new AccessPolicy(Optional.of("s3cret"));

    @Test
    void readsAreOpen() {
        assertTrue(open.decide("GET", "/api/pipelines", "192.0.2.7", null).allowed());
        assertTrue(secured.decide("GET", "/api/sessions", "192.0.2.7", null).allowed());
    }

    @Test
    void withoutTokenMutatingCallsComeFromLoopbackOnly() {
        assertTrue(open.decide("POST", "/api/pipelines/default/stop", "127.0.0.1", null).allowed());
        assertTrue(open.decide("POST", "/api/pipelines/default/stop", "0:0:0:0:0:0:0:1", null).allowed());
        var remote = open.decide("POST", "/api/pipelines/default/stop", "192.0.2.7", null);
        assertEquals(403, remote.status());
        assertTrue(remote.reason().contains("earshot.api.token"), remote.reason());
        assertEquals(403, open.decide("DELETE", "/api/sessions/x", "10.1.2.3", null).status());
        assertEquals(403, open.decide("POST", "/api/pipelines/default/stop", "localhost.example.com", null).status(),
                "host names are not resolved");
        assertTrue(open.decide("POST", "/api/transcribe", "192.0.2.7", null).allowed(), "transcribing changes nothing");
    }

    @Test
    void withTokenEveryNonReadNeedsTheRightBearer() {
        assertEquals(401, secured.decide("POST", "/api/transcribe", "127.0.0.1", null).status(), "loopback needs it too");
        assertEquals(401, secured.decide("POST", "/api/pipelines/p/start", "127.0.0.1", "Bearer wrong").status());
        assertEquals(401, secured.decide("POST", "/api/pipelines/p/start", "127.0.0.1", "Basic czNjcmV0").status());
        assertTrue(secured.decide("POST", "/api/pipelines/p/start", "192.0.2.7", "Bearer s3cret").allowed());
        assertTrue(secured.decide("POST", "/api/pipelines/p/start", "192.0.2.7", "bearer s3cret").allowed());
    }
}
