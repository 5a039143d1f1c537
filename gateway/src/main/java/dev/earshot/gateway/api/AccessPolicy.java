package dev.earshot.gateway.api;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;

/**
 * Who may call what:
 * <ul>
 * <li>Reads ({@code GET}, {@code HEAD}, {@code OPTIONS}) are open.</li>
 * <li>With a token configured, every other {@code /api} call needs {@code Authorization: Bearer <token>}.</li>
 * <li>Without a token, calls that change the gateway (start/stop a pipeline, close a session) are accepted from
 * loopback callers only; {@code POST /api/transcribe} changes nothing and stays open.</li>
 * </ul>
 */
public final class AccessPolicy {

    public record Decision(int status, String reason) {
        static final Decision ALLOW = new Decision(0, null);

        public boolean allowed() {
            return status == 0;
        }
    }

    private final Optional<byte[]> token;

    public AccessPolicy(Optional<String> token) {
        this.token = token.map(String::trim).filter(t -> !t.isEmpty()).map(t -> t.getBytes(StandardCharsets.UTF_8));
    }

    public Decision decide(String method, String path, String remoteHost, String authorization) {
        if (!path.startsWith("/api/") || method.equals("GET") || method.equals("HEAD") || method.equals("OPTIONS")) {
            return Decision.ALLOW;
        }
        if (token.isPresent()) {
            if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
                return new Decision(401, "this call needs 'Authorization: Bearer <token>' (the token set in earshot.api.token)");
            }
            byte[] offered = authorization.substring(7).trim().getBytes(StandardCharsets.UTF_8);
            return MessageDigest.isEqual(offered, token.get()) ? Decision.ALLOW
                    : new Decision(401, "the bearer token is not the one set in earshot.api.token");
        }
        if (path.equals("/api/transcribe") || isLoopback(remoteHost)) {
            return Decision.ALLOW;
        }
        return new Decision(403, "calls that change the gateway are accepted from this machine only while no API token "
                + "is set; set earshot.api.token (EARSHOT_API_TOKEN) and send 'Authorization: Bearer <token>'");
    }

    /**
     * Ingest protocols on the HTTP port (WHIP): with a token configured, every call but reads needs the bearer token;
     * without one they are open, as the other ingest endpoints are (a WHIP session resource is an unguessable URL).
     */
    public Decision decideIngest(String method, String authorization) {
        if (token.isEmpty() || method.equals("GET") || method.equals("HEAD") || method.equals("OPTIONS")) {
            return Decision.ALLOW;
        }
        return decide(method, "/api/ingest", null, authorization);
    }

    static boolean isLoopback(String host) {
        if (host == null || host.isEmpty()) {
            return false;
        }
        if (!Character.isDigit(host.charAt(0)) && !host.contains(":")) {
            return false;
        }
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
