package dev.earshot.gateway.api;

import dev.earshot.json.TranscriptJson;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.earshot.gateway.Gateway;
import dev.earshot.gateway.config.EarshotConfig;
import dev.earshot.spi.transcript.TranscriptEvent;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Routes served straight on the Vert.x router (behind the access guard, {@code dev.earshot.gateway.access}): the
 * live transcript streams {@code GET /api/events} (Server-Sent Events) and {@code GET /api/events/ws} (WebSocket). Both streams take
 * the same filters and share one overflow policy ({@link EventStreamClient}).
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
        router.get("/api/events").order(-900).handler(this::events);
        router.get("/api/events/ws").order(-900).handler(this::eventsWebSocket);
    }

    /**
     * {@code GET /api/events[?pipeline=a,b][&partials=false]}: one SSE event per transcript event, named
     * {@code partial} or {@code final}, with the event's id and its JSON as data. A client that reads too slowly
     * loses partials first (counted in {@code earshot_events_stream_dropped_total}); if it falls behind on finals too,
     * it is disconnected.
     */
    private void events(RoutingContext ctx) {
        StreamFilter filter = filter(ctx);
        if (filter == null) {
            return;
        }
        HttpServerResponse response = ctx.response();
        response.setChunked(true)
                .putHeader("Content-Type", "text/event-stream; charset=utf-8")
                .putHeader("Cache-Control", "no-cache")
                .putHeader("X-Accel-Buffering", "no");
        response.write(": earshot transcript stream\n\n");
        Context context = Vertx.currentContext();
        EventStreamClient client = new EventStreamClient(new EventStreamClient.Transport() {
            @Override
            public boolean writeQueueFull() {
                return response.writeQueueFull();
            }

            @Override
            public void send(TranscriptEvent event) {
                response.write("event: " + event.type().wireName() + "\nid: " + event.id() + "\ndata: " + TranscriptJson.toJson(event) + "\n\n");
            }

            @Override
            public void heartbeat() {
                response.write(": keep-alive\n\n");
            }

            @Override
            public void closeTooSlow(String reason) {
                // SSE has no close reason: the stream is cut; the client sees it end and reconnects with Last-Event-ID.
                response.reset();
            }
        }, filter, droppedCounter());
        Runnable cleanup = subscribe(context, client);
        response.closeHandler(v -> cleanup.run());
        response.endHandler(v -> cleanup.run());
    }

    /**
     * {@code GET /api/events/ws[?pipeline=a,b][&partials=false]}: a WebSocket carrying one text message per transcript
     * event (its JSON, as in the SSE stream's data). The server only sends; it ignores what the client sends. A client
     * that reads too slowly loses partials first; if finals pile up too, it is closed with code 1008 and the reason
     * {@code client too slow: N finals pending}.
     */
    private void eventsWebSocket(RoutingContext ctx) {
        StreamFilter filter = filter(ctx);
        if (filter == null) {
            return;
        }
        Context context = Vertx.currentContext();
        ctx.request().toWebSocket().onFailure(e -> {
            if (!ctx.response().ended()) {
                ctx.response().setStatusCode(400).putHeader("Content-Type", "application/json")
                        .end(toJson(new ApiError(400, "expected a WebSocket upgrade: " + e.getMessage())));
            }
        }).onSuccess(ws -> {
            EventStreamClient client = new EventStreamClient(new EventStreamClient.Transport() {
                @Override
                public boolean writeQueueFull() {
                    return ws.writeQueueFull();
                }

                @Override
                public void send(TranscriptEvent event) {
                    ws.writeTextMessage(TranscriptJson.toJson(event));
                }

                @Override
                public void heartbeat() {
                    ws.writePing(Buffer.buffer("earshot"));
                }

                @Override
                public void closeTooSlow(String reason) {
                    ws.close((short) 1008, reason);
                }
            }, filter, droppedCounter());
            Runnable cleanup = subscribe(context, client);
            ws.textMessageHandler(ignored -> {
            });
            ws.binaryMessageHandler(ignored -> {
            });
            ws.closeHandler(v -> cleanup.run());
            ws.endHandler(v -> cleanup.run());
        });
    }

    /** The stream filters of a request, or null after answering 503/404. */
    private StreamFilter filter(RoutingContext ctx) {
        var runtime = gateway.runtime();
        if (runtime == null) {
            ctx.response().setStatusCode(503).putHeader("Retry-After", "5").end();
            return null;
        }
        String pipelineParam = ctx.request().getParam("pipeline");
        Set<String> pipelines = pipelineParam == null || pipelineParam.isBlank() ? Set.of()
                : Set.copyOf(Arrays.asList(pipelineParam.split("\\s*,\\s*")));
        for (String name : pipelines) {
            if (runtime.pipeline(name).isEmpty()) {
                ctx.response().setStatusCode(404).putHeader("Content-Type", "application/json")
                        .end(toJson(new ApiError(404, "unknown pipeline '" + name + "' (available: "
                                + String.join(", ", runtime.pipelines().stream().map(p -> p.name()).sorted().toList()) + ")")));
                return null;
            }
        }
        return new StreamFilter(pipelines, !"false".equalsIgnoreCase(ctx.request().getParam("partials")));
    }

    private Counter droppedCounter() {
        return Counter.builder("earshot.events.stream.dropped")
                .description("Events not sent to a slow live-stream client").register(registry);
    }

    /** Subscribes the client to the bus on its context, with a heartbeat; returns the (idempotent) cleanup. */
    private Runnable subscribe(Context context, EventStreamClient client) {
        AutoCloseable subscription = gateway.runtime().bus().subscribe(event -> context.runOnContext(v -> client.send(event)));
        long heartbeat = context.owner().setPeriodic(HEARTBEAT_MS, id -> client.heartbeat());
        AtomicBoolean done = new AtomicBoolean();
        Runnable cleanup = () -> {
            if (done.compareAndSet(false, true)) {
                client.closed();
                context.owner().cancelTimer(heartbeat);
                try {
                    subscription.close();
                } catch (Exception ignored) {
                    // removing from a list cannot fail
                }
            }
        };
        client.whenDisconnected(cleanup);
        return cleanup;
    }

    private String toJson(Object value) {
        try {
            return json.writeValueAsString(value);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Which events a stream client wants: pipelines (empty: all) and whether partials too. */
    record StreamFilter(Set<String> pipelines, boolean partials) {
        boolean accepts(TranscriptEvent event) {
            return (pipelines.isEmpty() || pipelines.contains(event.pipeline())) && (event.isFinal() || partials);
        }
    }

    /**
     * One live-stream connection (SSE or WebSocket) and its overflow policy. Used on its event loop only. While the
     * connection's write queue is full, partials are dropped (counted in
     * {@code earshot_events_stream_dropped_total}); finals are still written, up to {@link #MAX_FINALS_OVER_FULL} of
     * them, after which the client is disconnected as too slow. So a connection holds at most the transport's write
     * queue plus that many finals: a client that stops reading never grows server memory.
     */
    static final class EventStreamClient {

        /** What a stream writes to. */
        interface Transport {
            boolean writeQueueFull();

            void send(TranscriptEvent event);

            void heartbeat();

            void closeTooSlow(String reason);
        }

        private final Transport transport;
        private final StreamFilter filter;
        private final Counter dropped;
        private int finalsOverFull;
        private boolean closed;
        private Runnable whenDisconnected = () -> {
        };

        EventStreamClient(Transport transport, StreamFilter filter, Counter dropped) {
            this.transport = transport;
            this.filter = filter;
            this.dropped = dropped;
        }

        void send(TranscriptEvent event) {
            if (closed || !filter.accepts(event)) {
                return;
            }
            if (transport.writeQueueFull()) {
                if (!event.isFinal()) {
                    dropped.increment();
                    return;
                }
                if (++finalsOverFull > MAX_FINALS_OVER_FULL) {
                    dropped.increment();
                    closed = true;
                    transport.closeTooSlow("client too slow: " + MAX_FINALS_OVER_FULL + " finals pending");
                    whenDisconnected.run();
                    return;
                }
            } else {
                finalsOverFull = 0;
            }
            transport.send(event);
        }

        void heartbeat() {
            if (!closed && !transport.writeQueueFull()) {
                transport.heartbeat();
            }
        }

        void closed() {
            closed = true;
        }

        /** Runs when the client is cut off as too slow: releases its subscription at once. */
        void whenDisconnected(Runnable cleanup) {
            this.whenDisconnected = cleanup;
        }
    }
}
