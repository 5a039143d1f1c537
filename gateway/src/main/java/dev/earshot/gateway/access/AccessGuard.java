package dev.earshot.gateway.access;

import dev.earshot.gateway.config.EarshotConfig;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The one access check: a route in front of every other route of the HTTP port (REST resources, Vert.x routes,
 * WebSocket upgrades, WHIP, static files, health, metrics), deciding on the path as {@link RequestPath} resolves it.
 * A route added later is covered without a thought: it is administration until {@link AccessLevel} says otherwise.
 * The vosk-server port asks the same policy through {@link #decide(HttpServerRequest, AccessLevel)}.
 */
@ApplicationScoped
public class AccessGuard {

    private static final Logger LOG = Logger.getLogger(AccessGuard.class);
    /** Before every route Quarkus or the gateway registers. */
    public static final int ORDER = Integer.MIN_VALUE + 1;

    @Inject
    EarshotConfig config;

    @ConfigProperty(name = "quarkus.http.host", defaultValue = "127.0.0.1")
    String httpHost;

    private volatile AccessPolicy policy;

    void routes(@Observes Router router) {
        AccessPolicy current = policy();
        router.route().order(ORDER).handler(ctx -> {
            AccessPolicy.Decision decision = current.decide(AccessRequest.of(ctx.request()));
            if (decision.allowed()) {
                ctx.next();
            } else {
                refuse(ctx.request(), decision);
            }
        });
    }

    /** The policy, made (and the settings checked) on first use. */
    public AccessPolicy policy() {
        AccessPolicy current = policy;
        if (current == null) {
            synchronized (this) {
                current = policy;
                if (current == null) {
                    Map<String, String> listeners = new LinkedHashMap<>();
                    listeners.put("quarkus.http.host", httpHost);
                    if (config.ingest().vosk().enabled()) {
                        listeners.put("earshot.ingest.vosk.host", config.ingest().vosk().host());
                    }
                    if (config.ingest().wyoming().enabled()) {
                        listeners.put("earshot.ingest.wyoming.host", config.ingest().wyoming().host());
                    }
                    AccessPolicy.Tokens tokens = AccessSettings.check(config.api(), listeners);
                    current = new AccessPolicy(tokens, config.api().publicMetrics());
                    policy = current;
                    LOG.info(describe(tokens));
                }
            }
        }
        return current;
    }

    /** Decides for a request whose level is fixed (the vosk-server port); answers a refusal itself. */
    public boolean decide(HttpServerRequest request, AccessLevel level) {
        AccessPolicy.Decision decision = policy().decide(AccessRequest.of(request), level);
        if (!decision.allowed()) {
            refuse(request, decision);
        }
        return decision.allowed();
    }

    private static void refuse(HttpServerRequest request, AccessPolicy.Decision decision) {
        var response = request.response().setStatusCode(decision.status()).putHeader("Content-Type", "application/json")
                .putHeader("Cache-Control", "no-store");
        if (decision.status() == 401) {
            response.putHeader("WWW-Authenticate", "Bearer realm=\"earshot\"");
        }
        response.end(new JsonObject().put("status", decision.status()).put("error", decision.reason()).encode());
    }

    private String describe(AccessPolicy.Tokens tokens) {
        if (!tokens.any()) {
            return "API access: no token set, so the HTTP API and the vosk-server port serve this machine only "
                    + "(loopback peers and Host names, same-origin pages)"
                    + (config.api().allowRemoteWithoutToken() ? "; earshot.api.allow-remote-without-token is set" : "");
        }
        return "API access: bearer token required (earshot.api.token" + (tokens.ingest().isPresent() ? ", ingest-token" : "")
                + (tokens.read().isPresent() ? ", read-token" : "") + ")"
                + (config.api().publicMetrics() ? "; /q/metrics is public" : "");
    }
}
