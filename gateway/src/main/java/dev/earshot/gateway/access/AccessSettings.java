package dev.earshot.gateway.access;

import dev.earshot.gateway.config.EarshotConfig;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The access configuration, checked once at start: a setting that would expose the gateway stops the start with a
 * message naming the keys and the fix, instead of running unsafe.
 */
public final class AccessSettings {

    /** Shortest token accepted. */
    public static final int MIN_TOKEN_LENGTH = 16;
    /** Words of documented placeholders: a token containing one was copied from an example, not made for this device. */
    private static final List<String> PLACEHOLDERS = List.of("replace-me", "replaceme", "change-me", "changeme",
            "placeholder", "your-token", "example", "<token>");

    private AccessSettings() {
    }

    /**
     * The checked tokens.
     *
     * @param listeners the listen address of each listener that serves clients, by its configuration key (e.g.
     *                  {@code quarkus.http.host -> 0.0.0.0}); without a token, each must be a loopback address unless
     *                  {@code earshot.api.allow-remote-without-token} is set
     * @throws IllegalStateException naming the key and the fix
     */
    public static AccessPolicy.Tokens check(EarshotConfig.ApiConfig api, Map<String, String> listeners) {
        Optional<String> admin = token("earshot.api.token", api.token());
        Optional<String> ingest = token("earshot.api.ingest-token", api.ingestToken());
        Optional<String> read = token("earshot.api.read-token", api.readToken());
        if (admin.isEmpty() && (ingest.isPresent() || read.isPresent())) {
            throw new IllegalStateException("earshot.api.ingest-token and earshot.api.read-token narrow what a client "
                    + "may do, so they need earshot.api.token (EARSHOT_API_TOKEN) set as well, for administration");
        }
        if (admin.isPresent() && (admin.equals(ingest) || admin.equals(read))) {
            throw new IllegalStateException("earshot.api.ingest-token and earshot.api.read-token must differ from "
                    + "earshot.api.token: a narrower token equal to the full one grants everything");
        }
        if (admin.isEmpty() && !api.allowRemoteWithoutToken()) {
            List<String> remote = new ArrayList<>();
            listeners.forEach((key, host) -> {
                if (!isLoopbackListen(host)) {
                    remote.add(key + "=" + host);
                }
            });
            if (!remote.isEmpty()) {
                throw new IllegalStateException("refusing to listen on " + String.join(", ", remote)
                        + " without an API token: anyone who reaches the address could stop pipelines, install plugins "
                        + "and read transcripts. Set earshot.api.token (EARSHOT_API_TOKEN, at least "
                        + MIN_TOKEN_LENGTH + " random characters, e.g. from 'openssl rand -hex 24'), or listen on "
                        + "127.0.0.1, or set earshot.api.allow-remote-without-token=true to accept the risk (the "
                        + "HTTP API then still serves this machine only)");
            }
        }
        return new AccessPolicy.Tokens(admin, ingest, read);
    }

    private static Optional<String> token(String key, Optional<String> value) {
        Optional<String> token = value.map(String::trim).filter(t -> !t.isEmpty());
        if (token.isEmpty()) {
            return token;
        }
        String t = token.get();
        if (t.length() < MIN_TOKEN_LENGTH) {
            throw new IllegalStateException(key + " is " + t.length() + " characters long: use at least "
                    + MIN_TOKEN_LENGTH + " random characters (e.g. from 'openssl rand -hex 24')");
        }
        String folded = t.toLowerCase(Locale.ROOT);
        for (String placeholder : PLACEHOLDERS) {
            if (folded.contains(placeholder)) {
                throw new IllegalStateException(key + " is a placeholder (it contains '" + placeholder
                        + "'): make a token of your own, e.g. with 'openssl rand -hex 24'");
            }
        }
        return token;
    }

    /** Whether a listen address reaches this machine only (names other than localhost count as remote). */
    static boolean isLoopbackListen(String host) {
        if (host == null) {
            return false;
        }
        String h = host.trim();
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        return h.equalsIgnoreCase("localhost") || AccessPolicy.isLoopbackAddress(h);
    }
}
