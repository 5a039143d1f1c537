package dev.earshot.gateway.access;

import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Who may do what: the one decision behind every route of the HTTP port and the vosk-server port.
 * <ul>
 * <li>{@link AccessLevel#PUBLIC} routes (the console's files, health) are open to everyone.</li>
 * <li><b>With a token</b> ({@code earshot.api.token}, optionally {@code ingest-token} and {@code read-token} for
 * narrower clients), every other request needs one that grants its level, as {@code Authorization: Bearer <token>}
 * or, for clients that cannot send headers, the {@code access_token} query parameter.</li>
 * <li><b>Without a token</b>, the gateway serves this machine only: the peer must be a loopback address, the
 * {@code Host} a loopback name (no DNS rebinding), an {@code Origin}, when sent, the gateway's own, and a call that
 * changes something must be a request no cross-site form can make (a JSON or audio body, or the
 * {@value AccessRequest#MARKER_HEADER} header).</li>
 * </ul>
 */
public final class AccessPolicy {

    /** The answer: {@code status} 0 lets the request through, anything else is the status to refuse it with. */
    public record Decision(int status, String reason, AccessLevel level) {
        public boolean allowed() {
            return status == 0;
        }
    }

    /** The tokens, already checked ({@link AccessSettings}). Empty: the gateway serves this machine only. */
    public record Tokens(Optional<String> admin, Optional<String> ingest, Optional<String> read) {
        public static final Tokens NONE = new Tokens(Optional.empty(), Optional.empty(), Optional.empty());

        public boolean any() {
            return admin.isPresent() || ingest.isPresent() || read.isPresent();
        }
    }

    /** Content types a cross-site HTML form or a CORS "simple" request may send without asking first. */
    private static final Set<String> SIMPLE_TYPES = Set.of("application/x-www-form-urlencoded", "multipart/form-data",
            "text/plain");

    private final Optional<byte[]> admin;
    private final Optional<byte[]> ingest;
    private final Optional<byte[]> read;
    private final boolean publicMetrics;

    public AccessPolicy(Tokens tokens, boolean publicMetrics) {
        this.admin = tokens.admin().map(AccessPolicy::bytes);
        this.ingest = tokens.ingest().map(AccessPolicy::bytes);
        this.read = tokens.read().map(AccessPolicy::bytes);
        this.publicMetrics = publicMetrics;
    }

    /** Whether any token is set (otherwise the gateway serves this machine only). */
    public boolean secured() {
        return admin.isPresent() || ingest.isPresent() || read.isPresent();
    }

    /** Decides for a request on the HTTP port, its level taken from its path. */
    public Decision decide(AccessRequest request) {
        RequestPath path;
        try {
            path = RequestPath.of(request.rawPath());
        } catch (RequestPath.InvalidPathException e) {
            return new Decision(400, e.getMessage(), AccessLevel.ADMIN);
        }
        return decide(request, AccessLevel.of(request.method(), path, publicMetrics));
    }

    /** Decides for a request whose level is known (the vosk-server port: audio in, whatever the path). */
    public Decision decide(AccessRequest request, AccessLevel level) {
        if (level == AccessLevel.PUBLIC) {
            return new Decision(0, null, level);
        }
        return secured() ? withToken(request, level) : local(request, level);
    }

    private Decision withToken(AccessRequest request, AccessLevel level) {
        String offered = offeredToken(request);
        if (offered == null) {
            return new Decision(401, "this call needs 'Authorization: Bearer <token>' (" + level.tokens() + ")", level);
        }
        byte[] candidate = bytes(offered);
        boolean granted = matches(candidate, admin)
                || (level == AccessLevel.AUDIO_IN && matches(candidate, ingest))
                || (level == AccessLevel.TRANSCRIPTS_OUT && matches(candidate, read));
        return granted ? new Decision(0, null, level)
                : new Decision(401, "the bearer token is not accepted here: this call needs " + level.tokens(), level);
    }

    private static String offeredToken(AccessRequest request) {
        String authorization = request.authorization();
        if (authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return authorization.substring(7).trim();
        }
        return request.queryToken();
    }

    private static boolean matches(byte[] offered, Optional<byte[]> token) {
        // Compared in constant time, so the answer's timing tells nothing about the token.
        return token.isPresent() && MessageDigest.isEqual(offered, token.get());
    }

    private Decision local(AccessRequest request, AccessLevel level) {
        String fix = "; set earshot.api.token (EARSHOT_API_TOKEN) and send 'Authorization: Bearer <token>'";
        if (!isLoopbackAddress(request.remoteAddress())) {
            return new Decision(403, "while no API token is set, the gateway serves this machine only" + fix, level);
        }
        String host = request.host() == null ? null : hostName(request.host());
        if (request.host() != null && (host == null || !isLoopbackName(host))) {
            return new Decision(403, "the Host '" + request.host() + "' is not this machine: while no API token is "
                    + "set, requests must name 127.0.0.1, [::1] or localhost" + fix, level);
        }
        String origin = request.origin();
        if (origin != null && !sameOrigin(origin, request.host())) {
            return new Decision(403, "a request from the page of another site ('" + origin + "') is refused while no "
                    + "API token is set" + fix, level);
        }
        // PUT, PATCH and DELETE are never "simple": a browser asks first, and nobody answers. Only a POST can be.
        if (request.method().equals("POST") && !request.marked() && simpleType(request.contentType())) {
            return new Decision(403, "a call that changes the gateway needs the header '" + AccessRequest.MARKER_HEADER
                    + ": 1' or a non-form body type (so that a web page cannot send it)", level);
        }
        return new Decision(0, null, level);
    }

    private static boolean simpleType(String contentType) {
        if (contentType == null || contentType.isBlank()) {
            return true;
        }
        int parameters = contentType.indexOf(';');
        String type = (parameters < 0 ? contentType : contentType.substring(0, parameters)).trim().toLowerCase(Locale.ROOT);
        return SIMPLE_TYPES.contains(type);
    }

    private static boolean sameOrigin(String origin, String host) {
        if (host == null) {
            return false;
        }
        try {
            URI uri = new URI(origin);
            if (uri.getScheme() == null || uri.getRawAuthority() == null || uri.getRawPath() != null && !uri.getRawPath().isEmpty()) {
                return false;
            }
            String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
            return (scheme.equals("http") || scheme.equals("https"))
                    && uri.getRawAuthority().equalsIgnoreCase(host.trim());
        } catch (URISyntaxException e) {
            return false;
        }
    }

    /** The name part of a {@code Host} header ({@code [::1]:8080} gives {@code ::1}), or null when malformed. */
    static String hostName(String header) {
        String value = header.trim();
        if (value.startsWith("[")) {
            int end = value.indexOf(']');
            if (end < 0 || (end + 1 < value.length() && value.charAt(end + 1) != ':')) {
                return null;
            }
            return value.substring(1, end);
        }
        int colon = value.indexOf(':');
        if (colon >= 0 && value.indexOf(':', colon + 1) >= 0) {
            return null;
        }
        return colon < 0 ? value : value.substring(0, colon);
    }

    static boolean isLoopbackName(String host) {
        String name = host.toLowerCase(Locale.ROOT);
        if (name.endsWith(".")) {
            name = name.substring(0, name.length() - 1);
        }
        return name.equals("localhost") || isLoopbackAddress(name);
    }

    /** Whether an address literal is a loopback address; names are never resolved. */
    public static boolean isLoopbackAddress(String address) {
        if (address == null || address.isEmpty()) {
            return false;
        }
        boolean ipv4 = address.chars().allMatch(c -> Character.isDigit(c) || c == '.') && address.chars().filter(c -> c == '.').count() == 3;
        if (!ipv4 && !address.contains(":")) {
            return false;
        }
        try {
            return InetAddress.getByName(address).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    private static byte[] bytes(String token) {
        return token.getBytes(StandardCharsets.UTF_8);
    }
}
