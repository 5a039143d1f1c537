package dev.earshot.plugins.webhook;

import dev.earshot.json.TranscriptJson;
import com.sun.net.httpserver.HttpServer;
import dev.earshot.conformance.TestPluginContext;
import dev.earshot.spi.Plugin;
import dev.earshot.spi.PluginException;
import dev.earshot.spi.sink.DeliveryException;
import dev.earshot.spi.sink.TranscriptSink;
import dev.earshot.spi.sink.TranscriptSinkFactory;
import dev.earshot.spi.transcript.TranscriptEvent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The webhook sink against a real HTTP server on loopback (the JDK's). */
class WebhookSinkTest {

    record Received(String body, Map<String, String> headers) {
    }

    @TempDir
    Path home;

    private HttpServer server;
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final AtomicInteger status = new AtomicInteger(200);
    private final AtomicLong delayMillis = new AtomicLong();
    private volatile String reply = "ok";

    @BeforeEach
    void startReceiver() throws Exception {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        server.createContext("/hook", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            Map<String, String> headers = new HashMap<>();
            exchange.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(), v.get(0)));
            received.add(new Received(new String(body, StandardCharsets.UTF_8), headers));
            try {
                Thread.sleep(delayMillis.get());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            byte[] answer = reply.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(status.get(), answer.length);
            exchange.getResponseBody().write(answer);
            exchange.close();
        });
        server.start();
    }

    @AfterEach
    void stopReceiver() {
        server.stop(0);
    }

    private String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/hook";
    }

    private static TranscriptEvent fin(String text) {
        return new TranscriptEvent("s1-3", TranscriptEvent.Type.FINAL, "default", "s1", 3, text, List.of(), List.of(),
                1.5, Instant.parse("2026-01-01T00:00:00Z"));
    }

    private TranscriptSink create(Map<String, String> options) throws Exception {
        TranscriptSinkFactory factory = null;
        for (Plugin plugin : ServiceLoader.load(Plugin.class)) {
            for (TranscriptSinkFactory f : plugin.sinkFactories()) {
                if (f.name().equals("webhook")) {
                    factory = f;
                }
            }
        }
        assertTrue(factory != null, "the webhook sink is found through ServiceLoader");
        TestPluginContext context = TestPluginContext.sink("hook", options, home);
        TranscriptSink sink = factory.create(context);
        assertEquals(java.util.Set.of(), context.config().unreadKeys(), "every option read");
        return sink;
    }

    @Test
    void postsTheEventJsonSignedWithTheSecret() throws Exception {
        Files.writeString(home.resolve("secret"), "s3cret\n");
        try (TranscriptSink sink = create(Map.of("url", url(), "secret-file", "secret", "headers.Authorization", "Bearer t"))) {
            assertFalse(sink.acceptsPartials());
            TranscriptEvent event = fin("turn on the kitchen light");
            sink.deliver(event);
            assertEquals(1, received.size());
            Received request = received.get(0);
            assertEquals(TranscriptJson.toJson(event), request.body());
            assertEquals("application/json", request.headers().get("content-type"));
            assertEquals("s1-3", request.headers().get("x-earshot-event-id"));
            assertEquals("Bearer t", request.headers().get("authorization"));
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec("s3cret".getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            String expected = "sha256=" + HexFormat.of().formatHex(mac.doFinal(request.body().getBytes(StandardCharsets.UTF_8)));
            assertEquals(expected, request.headers().get("x-earshot-signature"));
        }
    }

    @Test
    void serverErrorsTimeoutsAndRefusedConnectionsAreRetryableOtherClientErrorsAreNot() throws Exception {
        // A generous timeout for the status codes: a loaded machine must not turn an answer into a timeout.
        try (TranscriptSink sink = create(Map.of("url", url(), "timeout", "10s"))) {
            for (int code : new int[] {500, 503, 408, 429}) {
                status.set(code);
                DeliveryException e = assertThrows(DeliveryException.class, () -> sink.deliver(fin("x")));
                assertTrue(e.retryable(), code + " is retryable");
                assertTrue(e.getMessage().contains("answered " + code), e.getMessage());
            }
            for (int code : new int[] {400, 401, 403, 404, 410, 422}) {
                status.set(code);
                reply = "{\"error\":\"field 'text' is not accepted\"}";
                DeliveryException e = assertThrows(DeliveryException.class, () -> sink.deliver(fin("x")));
                assertFalse(e.retryable(), code + " is permanent");
                assertTrue(e.getMessage().contains("answered " + code + ": {\"error\":\"field 'text' is not accepted\"}"), e.getMessage());
                assertTrue(e.getMessage().contains("earshot.sinks.hook.url"), e.getMessage());
            }
        }
        status.set(200);
        delayMillis.set(3000);
        try (TranscriptSink sink = create(Map.of("url", url(), "timeout", "300ms"))) {
            DeliveryException slow = assertThrows(DeliveryException.class, () -> sink.deliver(fin("x")));
            assertTrue(slow.retryable());
            assertTrue(slow.getMessage().contains("no answer within 300 ms"), slow.getMessage());
        }
        int port = server.getAddress().getPort();
        server.stop(0);
        try (TranscriptSink sink = create(Map.of("url", "http://127.0.0.1:" + port + "/hook", "timeout", "1s"))) {
            DeliveryException refused = assertThrows(DeliveryException.class, () -> sink.deliver(fin("x")));
            assertTrue(refused.retryable(), refused.getMessage());
        }
    }

    @Test
    void everyOptionReadIsDeclared() throws Exception {
        Files.writeString(home.resolve("key"), "HmacSecret-55cc");
        WebhookSinkFactory factory = new WebhookSinkFactory();
        TestPluginContext context = TestPluginContext.sink("hook", Map.of("url", url(), "timeout", "2s",
                "secret-file", "key", "headers.X-Key", "k", "partials", "true"), home).withOptions(factory.options());
        try (TranscriptSink sink = factory.create(context)) {
            assertTrue(sink.acceptsPartials());
        }
        assertEquals(java.util.Set.of(), context.config().unreadKeys(), "every option read");
        assertEquals(java.util.Set.of(), context.config().undeclaredReads(), "every option read is declared");
    }

    @Test
    void badConfigurationNamesTheKey() {
        PluginException missing = assertThrows(PluginException.class, () -> create(Map.of("url", url(), "secret-file", "nope.key")));
        assertTrue(missing.getMessage().startsWith("earshot.sinks.hook.secret-file: file "), missing.getMessage());
        assertTrue(missing.getMessage().contains("nope.key does not exist"), missing.getMessage());
        PluginException noUrl = assertThrows(PluginException.class, () -> create(Map.of()));
        assertTrue(noUrl.getMessage().startsWith("earshot.sinks.hook.url is required"), noUrl.getMessage());
        PluginException ftp = assertThrows(PluginException.class, () -> create(Map.of("url", "ftp://example.org/x")));
        assertTrue(ftp.getMessage().startsWith("earshot.sinks.hook.url: 'ftp://example.org/x' is not valid"), ftp.getMessage());
        PluginException header = assertThrows(PluginException.class, () -> create(Map.of("url", url(), "headers.Content-Type", "x")));
        assertTrue(header.getMessage().startsWith("earshot.sinks.hook.headers.Content-Type:"), header.getMessage());
        PluginException timeout = assertThrows(PluginException.class, () -> create(Map.of("url", url(), "timeout", "soon")));
        assertTrue(timeout.getMessage().startsWith("earshot.sinks.hook.timeout: 'soon' is not valid"), timeout.getMessage());
    }

    /** Credentials in the URL (user-info, query string) never reach a message, nor do the headers or the secret. */
    @Test
    void messagesShowTheUrlWithoutItsCredentials() throws Exception {
        Files.writeString(home.resolve("secret"), "HmacSecret-55cc");
        String withCredentials = "http://hookuser:HookPass-77aa@127.0.0.1:" + server.getAddress().getPort()
                + "/hook?key=QueryKey-99bb";
        status.set(401);
        reply = "unauthorized";
        try (TranscriptSink sink = create(Map.of("url", withCredentials, "secret-file", "secret",
                "headers.Authorization", "Bearer HeaderToken-11dd"))) {
            DeliveryException e = assertThrows(DeliveryException.class, () -> sink.deliver(fin("hello")));
            assertFalse(e.retryable());
            assertTrue(e.getMessage().startsWith("POST http://127.0.0.1:" + server.getAddress().getPort()
                    + "/hook answered 401: unauthorized"), e.getMessage());
            for (String secret : List.of("hookuser", "HookPass-77aa", "QueryKey-99bb", "HmacSecret-55cc", "HeaderToken-11dd")) {
                assertFalse(e.getMessage().contains(secret), secret + " in: " + e.getMessage());
            }
        }
        server.stop(0);
        try (TranscriptSink sink = create(Map.of("url", withCredentials, "timeout", "1s"))) {
            DeliveryException e = assertThrows(DeliveryException.class, () -> sink.deliver(fin("hello")));
            assertTrue(e.retryable());
            assertFalse(e.getMessage().contains("HookPass-77aa") || e.getMessage().contains("QueryKey-99bb"), e.getMessage());
        }
        PluginException invalid = assertThrows(PluginException.class,
                () -> create(Map.of("url", "ftp://hookuser:HookPass-77aa@example.org/x?key=QueryKey-99bb")));
        assertFalse(invalid.getMessage().contains("HookPass-77aa") || invalid.getMessage().contains("QueryKey-99bb"),
                invalid.getMessage());
    }
}
