package dev.earshot.spi;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class RedactTest {

    @Test
    void aUrlKeepsSchemeHostPortAndPathOnly() {
        assertEquals("https://example.org:8443/hooks/earshot",
                Redact.url("https://user:s3cret@example.org:8443/hooks/earshot?key=k3y#frag"));
        assertEquals("http://127.0.0.1/hook", Redact.url(" http://127.0.0.1/hook "));
        assertEquals("mqtt://broker.example.org", Redact.url("mqtt://u:p@broker.example.org"));
        assertEquals("mqtts://broker:8883", Redact.url("mqtts://broker:8883?token=x"));
        assertNull(Redact.url(null));
    }

    @Test
    void malformedValuesLeakNeitherUserInfoNorQuery() {
        assertEquals("http://host_name/x", Redact.url("http://us er:p@ss@host_name/x?key=k"));
        assertEquals("host/x", Redact.url("user:pw@host/x?key=k"));
        assertEquals("http://ex ample.org/a", Redact.url("http://u:p@ex ample.org/a?k=v"));
    }

    @Test
    void everyUrlInATextIsRedacted() {
        assertEquals("POST http://127.0.0.1:9/hook answered 401; retry http://other/x later",
                Redact.urlsIn("POST http://user:pass@127.0.0.1:9/hook?key=secret answered 401; retry http://a@other/x?y later"));
        assertEquals("no url here: user:pass", Redact.urlsIn("no url here: user:pass"));
        assertEquals("http://h/p", Redact.urlsIn("http://u:p@ss@h/p?q"));
    }
}
