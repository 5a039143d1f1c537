package dev.earshot.plugins.webhook;

import dev.earshot.json.TranscriptJson;
import dev.earshot.spi.Redact;
import dev.earshot.spi.sink.DeliveryException;
import dev.earshot.spi.sink.TranscriptSink;
import dev.earshot.spi.transcript.TranscriptEvent;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * POSTs each event's canonical JSON ({@link dev.earshot.json.TranscriptJson#toJson}) to one URL with {@link HttpClient}, on the
 * host's delivery thread. 2xx is delivered. 408, 429, 5xx, time-outs and connection failures are retryable (the host
 * retries, then spools). Any other status (4xx, 3xx: the URL or the payload is wrong) is a permanent rejection:
 * {@link DeliveryException} with {@code retryable == false}, whose message carries the status and the start of the
 * reply. Messages show the URL without its user-info and query string ({@link Redact#url}), and never the headers or
 * the signing secret.
 */
final class WebhookSink implements TranscriptSink {

    static final String SIGNATURE_HEADER = "X-Earshot-Signature";
    static final String ID_HEADER = "X-Earshot-Event-Id";
    private static final int EXCERPT = 200;

    private final String id;
    private final URI url;
    /** The URL as messages show it: without user-info or query string, which may carry credentials. */
    private final String shownUrl;
    private final Duration timeout;
    private final byte[] secret;
    private final Map<String, String> headers;
    private final boolean partials;
    private final ExecutorService executor;
    private final HttpClient client;

    WebhookSink(String id, URI url, Duration timeout, byte[] secret, Map<String, String> headers, boolean partials) {
        this.id = id;
        this.url = url;
        this.shownUrl = Redact.url(url.toString());
        this.timeout = timeout;
        this.secret = secret;
        this.headers = Map.copyOf(headers);
        this.partials = partials;
        // One small pool for the client's own work, shut down on close (the JDK 17 client has no close()).
        this.executor = Executors.newSingleThreadExecutor(r -> {
            Thread thread = new Thread(r, "earshot-webhook-" + id);
            thread.setDaemon(true);
            return thread;
        });
        this.client = HttpClient.newBuilder().connectTimeout(timeout).followRedirects(HttpClient.Redirect.NEVER)
                .executor(executor).build();
    }

    @Override
    public boolean acceptsPartials() {
        return partials;
    }

    @Override
    public void deliver(TranscriptEvent event) throws Exception {
        byte[] body = TranscriptJson.toJson(event).getBytes(StandardCharsets.UTF_8);
        HttpRequest.Builder request = HttpRequest.newBuilder(url).timeout(timeout)
                .header("Content-Type", "application/json")
                .header(ID_HEADER, event.id())
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        headers.forEach(request::header);
        if (secret != null) {
            request.header(SIGNATURE_HEADER, "sha256=" + sign(secret, body));
        }
        HttpResponse<String> response;
        try {
            response = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (HttpTimeoutException e) {
            throw new DeliveryException("POST " + shownUrl + ": no answer within " + timeout.toMillis() + " ms", true, e);
        } catch (IOException e) {
            throw new DeliveryException("POST " + shownUrl + ": " + describe(e), true, e);
        }
        int status = response.statusCode();
        if (status >= 200 && status < 300) {
            return;
        }
        String reply = excerpt(response.body());
        boolean retryable = status == 408 || status == 429 || status >= 500;
        String message = "POST " + shownUrl + " answered " + status + (reply.isEmpty() ? "" : ": " + reply);
        throw new DeliveryException(retryable ? message : message + " (a permanent rejection: check earshot.sinks."
                + id + ".url and what the receiver expects)", retryable);
    }

    /** The hex HMAC-SHA256 of the body: what a receiver compares with {@code X-Earshot-Signature} after "sha256=". */
    static String sign(byte[] key, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return HexFormat.of().formatHex(mac.doFinal(body));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }

    private static String excerpt(String body) {
        if (body == null) {
            return "";
        }
        String flat = body.strip().replaceAll("\\s+", " ");
        return flat.length() <= EXCERPT ? flat : flat.substring(0, EXCERPT) + "...";
    }

    private static String describe(IOException e) {
        String message = Redact.urlsIn(e.getMessage());
        return e.getClass().getSimpleName() + (message == null || message.isBlank() ? "" : ": " + message);
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
