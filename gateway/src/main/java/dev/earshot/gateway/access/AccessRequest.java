package dev.earshot.gateway.access;

import io.vertx.core.http.HttpServerRequest;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * What the access check reads from a request: nothing else of it counts.
 *
 * @param method        the HTTP method, upper case
 * @param rawPath       the path as sent, before any decoding
 * @param remoteAddress the peer's IP address, or null when unknown
 * @param host          the {@code Host} header, or null
 * @param origin        the {@code Origin} header, or null
 * @param contentType   the {@code Content-Type} header, or null
 * @param authorization the {@code Authorization} header, or null
 * @param queryToken    the {@code access_token} query parameter (for clients that cannot send headers: browsers'
 *                      EventSource and WebSocket, some vosk-server clients), or null
 * @param marked        whether the request carries the {@value #MARKER_HEADER} header (any value)
 */
public record AccessRequest(String method, String rawPath, String remoteAddress, String host, String origin,
                            String contentType, String authorization, String queryToken, boolean marked) {

    /** A header no cross-site form or simple request can carry: makes a call without a body non-simple. */
    public static final String MARKER_HEADER = "X-Earshot-Request";
    public static final String QUERY_TOKEN = "access_token";

    public static AccessRequest of(HttpServerRequest request) {
        var remote = request.remoteAddress();
        return new AccessRequest(request.method().name().toUpperCase(Locale.ROOT), request.path(),
                remote == null ? null : remote.hostAddress(), request.getHeader("Host"), request.getHeader("Origin"),
                request.getHeader("Content-Type"), request.getHeader("Authorization"), queryToken(request.query()),
                request.getHeader(MARKER_HEADER) != null);
    }

    /** The raw {@code access_token} value of a query string, percent-decoded, or null. */
    static String queryToken(String query) {
        if (query == null || query.isEmpty()) {
            return null;
        }
        for (String pair : query.split("&")) {
            if (pair.startsWith(QUERY_TOKEN + "=")) {
                try {
                    return URLDecoder.decode(pair.substring(QUERY_TOKEN.length() + 1), StandardCharsets.UTF_8);
                } catch (IllegalArgumentException e) {
                    return null;
                }
            }
        }
        return null;
    }
}
