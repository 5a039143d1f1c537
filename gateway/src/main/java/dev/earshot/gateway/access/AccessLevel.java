package dev.earshot.gateway.access;

import java.util.Locale;
import java.util.Set;

/**
 * What a request does, and so which credential it needs. Every route the HTTP server dispatches falls in exactly one
 * level, decided by {@link #of(String, RequestPath, boolean)}: a short explicit list is public, a few prefixes carry
 * audio in or transcripts out, and everything else, including any route added later without a thought for access,
 * is administration.
 */
public enum AccessLevel {
    /** The console's static files and the health probes: no credential. */
    PUBLIC("nothing"),
    /** Audio in: uploads, WHIP, the vosk-server WebSocket (and the Wyoming port, by peer address). */
    AUDIO_IN("earshot.api.token or earshot.api.ingest-token"),
    /** Transcripts and state out: the live event streams, sessions, pipelines, plugins, metrics, the API description. */
    TRANSCRIPTS_OUT("earshot.api.token or earshot.api.read-token"),
    /** Changes to the gateway: plugins, pipelines, sessions; and every route not listed elsewhere. */
    ADMIN("earshot.api.token");

    /** Static files of the console (META-INF/resources), readable by anyone so the page can ask for a token. */
    private static final Set<String> CONSOLE = Set.of("/", "/index.html", "/console.js", "/console.css");
    private static final Set<String> HEALTH = Set.of("/q/health", "/q/health/live", "/q/health/ready",
            "/q/health/started");
    private static final Set<String> READS = Set.of("GET", "HEAD");

    private final String tokens;

    AccessLevel(String tokens) {
        this.tokens = tokens;
    }

    /** The configuration keys whose token grants this level, for messages. */
    public String tokens() {
        return tokens;
    }

    /**
     * The level of a request.
     *
     * @param publicMetrics whether {@code /q/metrics} is public ({@code earshot.api.public-metrics})
     */
    public static AccessLevel of(String method, RequestPath path, boolean publicMetrics) {
        String canonical = path.canonical();
        boolean read = READS.contains(method);
        if (read && path.clean() && (CONSOLE.contains(canonical) || HEALTH.contains(canonical)
                || (publicMetrics && canonical.equals("/q/metrics")))) {
            return PUBLIC;
        }
        // Levels below admin are chosen on a case-folded path: a spelling the router would not match at all still
        // needs at least the credential of the route it resembles, never less.
        String folded = canonical.toLowerCase(Locale.ROOT);
        if (under(folded, "/api/transcribe") || under(folded, "/whip") || under(folded, "/asr/vosk")) {
            return AUDIO_IN;
        }
        if (read && (under(folded, "/api/events") || under(folded, "/api/sessions") || under(folded, "/api/pipelines")
                || under(folded, "/api/plugins") || under(folded, "/api/devices") || under(folded, "/q/metrics")
                || under(folded, "/q/openapi"))) {
            return TRANSCRIPTS_OUT;
        }
        return ADMIN;
    }

    private static boolean under(String path, String prefix) {
        return path.equals(prefix) || path.startsWith(prefix + "/");
    }
}
