package dev.earshot.gateway.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.earshot.gateway.Gateway;
import dev.earshot.gateway.config.EarshotConfig;
import dev.earshot.spi.transcript.TranscriptEvent;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import java.util.Set;

/**
 * Routes served straight on the Vert.x router: the access guard in front of {@code /api}, and the live transcript
 * stream {@code GET /api/events} (Server-Sent Events).
 */
@ApplicationScoped
public class ApiRoutes {

    /** Finals written while the connection's write queue is full before the client is considered too slow. */
    static final int MAX_FINALS_OVER_FULL = 64;
    private static final long HEARTBEAT_MS = 15_000;

    @Inject
    Gateway gateway;

    @Inject
    EarshotConfig config;

    @Inject
    MeterRegistry registry;

    @Inject
    ObjectMapper json;

    void routes(@Observes Router router) {
        AccessPolicy policy = new AccessPolicy(config.api().token());
        router.route("/api/*").order(-1000).handler(ctx -> guard(ctx, policy));
        router.get("/api/events").order(-900).handler(this::events);
    }

    private void guard(RoutingContext ctx, AccessPolicy policy) {
        var remote = ctx.request().remoteAddress();
        AccessPolicy.Decision decision = policy.decide(ctx.request().method().name(), ctx.normalizedPath(),
                remote == null ? null : remote.hostAddress(), ctx.request().getHeader("Authorization"));
        if (decision.allowed()) {
            ctx.next();
            return;
        }
        HttpServerResponse response = ctx.response().setStatusCode(decision.status())
                .putHeader("Content-Type", "application/json");
        if (decision.status() == 401) {
            response.putHeader("WWW-Authenticate", "Bearer realm=\"earshot\"");
        }
        response.end(toJson(new ApiError(decision.status(), decision.reason())));
    }

    /**
     * {@code GET /api/events[?pipeline=a,b][&partials=false]}: one SSE event per transcript event, named
     * {@code partial} or {@code final}, with the event's id and its JSON as data. A client that reads too slowly
     * loses partials first (counted in {@code earshot_events_stream_dropped_total}); if it falls behind on finals too,
     * it is disconnected.
     */
    private void events(RoutingContext ctx) {
        var runtime = gateway.runtime();
        if (runtime == null) {
            ctx.response().setStatusCode(503).putHeader("Retry-After", "5").end();
            return;
        }
        String pipelineParam = ctx.request().getParam("pipeline");
        Set<String> pipelines = pipelineParam == null || pipelineParam.isBlank() ? Set.of()
                : Set.of(pipelineParam.split("\\s*,\\s*"));
        for (String name : pipelines) {
            if (runtime.pipeline(name).isEmpty()) {
                ctx.response().setStatusCode(404).putHeader("Content-Type", "application/json")
                        .end(toJson(new ApiError(404, "unknown pipeline '" + name + "' (available: "
                                + String.join(", ", runtime.pipelines().stream().map(p -> p.name()).sorted().toList()) + ")")));
                return;
            }
        }
        boolean partials = !"false".equalsIgnoreCase(ctx.request().getParam("partials"));
        HttpServerResponse response = ctx.response();
        response.setChunked(true)
                .putHeader("Content-Type", "text/event-stream; charset=utf-8")
                .putHeader("Cache-Control", "no-cache")
                .putHeader("X-Accel-Buffering", "no");
        response.write(": earshot transcript stream\n\n");
        Context context = Vertx.currentContext();
        Counter dropped = Counter.builder("earshot.events.stream.dropped")
                .description("Events not sent to a slow live-stream client").register(registry);
        EventStreamClient client = new EventStreamClient(response, pipelines, partials, dropped);
        AutoCloseable subscription = runtime.bus().subscribe(event -> context.runOnContext(v -> client.send(event)));
        long heartbeat = context.owner().setPeriodic(HEARTBEAT_MS, id -> client.heartbeat());
        Runnable cleanup = () -> {
            context.owner().cancelTimer(heartbeat);
            try {
                subscription.close();
            } catch (Exception ignored) {
                // removing from a list cannot fail
            }
        };
        response.closeHandler(v -> cleanup.run());
        response.endHandler(v -> cleanup.run());
    }

    private String toJson(Object value) {
        try {
            return json.writeValueAsString(value);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** One SSE connection. Used on its event loop only. */
    static final class EventStreamClient {
        private final HttpServerResponse response;
        private final Set<String> pipelines;
        private final boolean partials;
        private final Counter dropped;
        private int finalsOverFull;
        private boolean closed;

        EventStreamClient(HttpServerResponse response, Set<String> pipelines, boolean partials, Counter dropped) {
            this.response = response;
            this.pipelines = pipelines;
            this.partials = partials;
            this.dropped = dropped;
        }

        void send(TranscriptEvent event) {
            if (closed || (!pipelines.isEmpty() && !pipelines.contains(event.pipeline()))
                    || (!event.isFinal() && !partials)) {
                return;
            }
            if (response.writeQueueFull()) {
                if (!event.isFinal()) {
                    dropped.increment();
                    return;
                }
                if (++finalsOverFull > MAX_FINALS_OVER_FULL) {
                    dropped.increment();
                    closed = true;
                    response.reset();
                    return;
                }
            } else {
                finalsOverFull = 0;
            }
            response.write("event: " + event.type().wireName() + "\nid: " + event.id() + "\ndata: " + event.toJson() + "\n\n");
        }

        void heartbeat() {
            if (!closed && !response.writeQueueFull()) {
                response.write(": keep-alive\n\n");
            }
        }
    }
}
