package dev.earshot.plugins.mqtt;

import dev.earshot.json.TranscriptJson;
import dev.earshot.spi.Redact;
import dev.earshot.spi.sink.DeliveryException;
import dev.earshot.spi.sink.TranscriptSink;
import dev.earshot.spi.transcript.TranscriptEvent;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.mqtt.MqttClient;
import io.vertx.mqtt.MqttClientOptions;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Publishes transcripts with the Vert.x MQTT client on the gateway's Vert.x.
 *
 * <h2>Threading</h2>
 * The client is used on one Vert.x context only: connecting, reconnecting, publishing and acknowledgements all run
 * there. {@link #deliver} runs on the host's delivery thread: it hands the publish to the context and waits (at most
 * {@code timeout}) for the broker's PUBACK (QoS 1) or PUBCOMP (QoS 2) — it never blocks an event loop. While the
 * client is not connected, deliver fails at once (retryable), so the host spools finals instead of waiting.
 *
 * <h2>Connection</h2>
 * Connects at start and reconnects after every loss, backing off from {@code reconnect-delay} to
 * {@code max-reconnect-delay}. The last will publishes {@code offline} (retained) on the availability topic; after
 * each connect, {@code online} is published there (retained).
 *
 * <h2>Home Assistant discovery</h2>
 * With {@code ha-discovery} on, the entities of every pipeline that routes to this sink ({@link #routes}) are
 * announced (retained) as soon as the client is connected, without waiting for a transcript; again after each
 * reconnect and whenever Home Assistant announces {@code online} on {@code <prefix>/status} (its birth message after a
 * restart); the entities of a pipeline that no longer routes here are withdrawn with an empty retained message. A
 * pipeline that delivers without having been named in {@link #routes} is announced at its first event.
 */
final class MqttSink implements TranscriptSink {

    record Options(String id, String url, String host, int port, boolean tls, Path trustFile, boolean verifyHost,
                   String clientId, String username, String password, String device, TopicTemplate topic,
                   boolean partials, TopicTemplate partialTopic, TopicTemplate availability, int qos,
                   HomeAssistantDiscovery discovery, Duration keepAlive, Duration timeout,
                   Duration reconnectDelay, Duration maxReconnectDelay) {

        /** {@code url} is the broker address as messages show it ({@link Redact#url}). */
        Options {
            url = Redact.url(url);
        }

        /** Never shows the password. */
        @Override
        public String toString() {
            return "MqttSink.Options[id=" + id + ", url=" + url + ", username=" + username
                    + ", password=" + (password == null ? "none" : "(set)") + ", clientId=" + clientId + "]";
        }
    }

    private final Vertx vertx;
    private final Context context;
    private final Options options;
    private final System.Logger log;
    private final MqttClient client;
    private final String availabilityTopic;

    // Used on the context only.
    private final Map<Integer, CompletableFuture<Void>> pending = new HashMap<>();
    private final Set<Integer> earlyAcks = new HashSet<>();
    private long reconnectDelay;
    private long reconnectTimer = -1;
    private boolean closed;
    private boolean everConnected;
    private boolean outageLogged;

    private final Set<String> routes = new HashSet<>();

    private volatile boolean connected;
    private final Set<String> pipelinesSeen = ConcurrentHashMap.newKeySet();

    MqttSink(Vertx vertx, Options options, System.Logger log) {
        this.vertx = vertx;
        this.options = options;
        this.log = log;
        this.availabilityTopic = options.availability().render(Map.of("device", options.device(), "sink", options.id()));
        MqttClientOptions clientOptions = new MqttClientOptions()
                .setClientId(options.clientId())
                .setCleanSession(true)
                .setKeepAliveInterval((int) Math.max(1, options.keepAlive().toSeconds()))
                .setAckTimeout((int) Math.max(1, options.timeout().toSeconds()))
                .setWillFlag(true)
                .setWillTopic(availabilityTopic)
                .setWillMessageBytes(Buffer.buffer("offline"))
                .setWillQoS(1)
                .setWillRetain(true)
                .setMaxMessageSize(-1);
        clientOptions.setConnectTimeout((int) Math.max(1, options.timeout().toMillis()));
        clientOptions.setReconnectAttempts(0);
        if (options.username() != null) {
            clientOptions.setUsername(options.username());
            clientOptions.setPassword(options.password());
        }
        if (options.tls()) {
            clientOptions.setSsl(true);
            clientOptions.setHostnameVerificationAlgorithm(options.verifyHost() ? "HTTPS" : "");
            if (options.trustFile() != null) {
                clientOptions.setTrustOptions(new PemTrustOptions().addCertPath(options.trustFile().toString()));
            }
        }
        this.context = vertx.getOrCreateContext();
        this.client = MqttClient.create(vertx, clientOptions);
        this.reconnectDelay = options.reconnectDelay().toMillis();
    }

    /** Starts connecting; waits a little for the first answer so that a broker that is down is reported at once. */
    void start() {
        CompletableFuture<Boolean> first = new CompletableFuture<>();
        context.runOnContext(v -> {
            client.publishCompletionHandler(this::acknowledged);
            client.publishCompletionExpirationHandler(packetId -> failPending(packetId, "no acknowledgement within "
                    + options.timeout().toSeconds() + " s"));
            client.closeHandler(ignored -> connectionLost());
            client.exceptionHandler(e -> log.log(System.Logger.Level.DEBUG, "sink '" + options.id() + "': " + e));
            client.publishHandler(message -> {
                if (options.discovery() != null && message.topicName().equals(options.discovery().statusTopic())
                        && message.payload().toString().trim().equals("online")) {
                    log.log(System.Logger.Level.INFO, "sink '" + options.id() + "': Home Assistant is online;"
                            + " announcing " + routes.size() + " pipeline(s) again");
                    routes.forEach(this::announce);
                }
            });
            connect(first);
        });
        if (!Context.isOnEventLoopThread()) {
            try {
                first.get(Math.min(options.timeout().toMillis(), 5_000) + 500, TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                log.log(System.Logger.Level.WARNING, "sink '" + options.id() + "': broker " + options.url()
                        + " has not answered yet; finals are kept in the spool until it does");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException e) {
                // reported by connect()
            }
        }
    }

    @Override
    public void routes(Set<String> pipelines) {
        Set<String> now = Set.copyOf(pipelines);
        pipelinesSeen.addAll(now);
        context.runOnContext(v -> {
            for (String gone : Set.copyOf(routes)) {
                if (!now.contains(gone)) {
                    routes.remove(gone);
                    withdraw(gone);
                }
            }
            for (String added : now) {
                if (routes.add(added)) {
                    announce(added);
                }
            }
        });
    }

    @Override
    public boolean acceptsPartials() {
        return options.partials();
    }

    boolean connected() {
        return connected;
    }

    @Override
    public void deliver(TranscriptEvent event) throws Exception {
        if (!connected) {
            throw new DeliveryException("not connected to broker " + options.url() + " (reconnecting)", true);
        }
        Map<String, String> values = Map.of("device", options.device(), "pipeline", event.pipeline(),
                "session", event.session(), "sink", options.id());
        String topic = (event.isFinal() ? options.topic() : options.partialTopic()).render(values);
        int qos = event.isFinal() ? options.qos() : 0;
        if (options.discovery() != null && pipelinesSeen.add(event.pipeline())) {
            context.runOnContext(v -> {
                if (routes.add(event.pipeline())) {
                    announce(event.pipeline());
                }
            });
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        Buffer payload = Buffer.buffer(TranscriptJson.toJson(event));
        context.runOnContext(v -> publish(topic, payload, qos, false, done));
        try {
            done.get(options.timeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            context.runOnContext(v -> pending.values().remove(done));
            throw new DeliveryException("broker " + options.url() + " did not acknowledge " + event.id() + " on "
                    + topic + " within " + options.timeout().toMillis() + " ms", true);
        } catch (ExecutionException e) {
            throw new DeliveryException("publishing " + event.id() + " to " + options.url() + " failed: "
                    + e.getCause().getMessage(), true, e.getCause());
        }
    }

    // ---- on the context -----------------------------------------------------------------------------------------

    private void publish(String topic, Buffer payload, int qos, boolean retain, CompletableFuture<Void> done) {
        if (closed || !client.isConnected()) {
            done.completeExceptionally(new IOException("not connected"));
            return;
        }
        client.publish(topic, payload, MqttQoS.valueOf(qos), false, retain).onComplete(ar -> {
            if (ar.failed()) {
                done.completeExceptionally(ar.cause());
            } else if (qos == 0) {
                done.complete(null);
            } else if (earlyAcks.remove(ar.result())) {
                done.complete(null);
            } else {
                pending.put(ar.result(), done);
            }
        });
    }

    private void acknowledged(int packetId) {
        CompletableFuture<Void> done = pending.remove(packetId);
        if (done != null) {
            done.complete(null);
        } else {
            earlyAcks.add(packetId);
        }
    }

    private void failPending(int packetId, String why) {
        CompletableFuture<Void> done = pending.remove(packetId);
        if (done != null) {
            done.completeExceptionally(new IOException(why));
        }
    }

    private void connect(CompletableFuture<Boolean> first) {
        reconnectTimer = -1;
        if (closed) {
            return;
        }
        client.connect(options.port(), options.host()).onComplete(ar -> {
            if (closed) {
                if (ar.succeeded()) {
                    client.disconnect();
                }
                return;
            }
            if (ar.succeeded()) {
                connected = true;
                reconnectDelay = options.reconnectDelay().toMillis();
                log.log(System.Logger.Level.INFO, "sink '" + options.id() + "': connected to " + options.url()
                        + (everConnected ? " again" : "") + " as " + options.clientId());
                everConnected = true;
                outageLogged = false;
                client.publish(availabilityTopic, Buffer.buffer("online"), MqttQoS.AT_LEAST_ONCE, false, true);
                if (options.discovery() != null) {
                    client.subscribe(options.discovery().statusTopic(), MqttQoS.AT_LEAST_ONCE.value());
                    routes.forEach(this::announce);
                }
                if (first != null) {
                    first.complete(true);
                }
            } else {
                if (!outageLogged) {
                    outageLogged = true;
                    log.log(System.Logger.Level.WARNING, "sink '" + options.id() + "': cannot connect to broker "
                            + options.url() + " (earshot.sinks." + options.id() + ".url): " + describe(ar.cause())
                            + "; retrying with back-off, finals are kept in the spool meanwhile");
                }
                if (first != null) {
                    first.complete(false);
                }
                scheduleReconnect();
            }
        });
    }

    private void connectionLost() {
        connected = false;
        for (CompletableFuture<Void> done : pending.values()) {
            done.completeExceptionally(new IOException("connection to the broker lost"));
        }
        pending.clear();
        earlyAcks.clear();
        if (closed) {
            return;
        }
        log.log(System.Logger.Level.WARNING, "sink '" + options.id() + "': lost the connection to " + options.url()
                + "; reconnecting");
        outageLogged = true;
        scheduleReconnect();
    }

    private void scheduleReconnect() {
        if (closed || reconnectTimer != -1) {
            return;
        }
        long delay = reconnectDelay;
        reconnectDelay = Math.min(reconnectDelay * 2, options.maxReconnectDelay().toMillis());
        reconnectTimer = vertx.setTimer(delay, t -> connect(null));
    }

    /** Home Assistant discovery of one pipeline's entities (retained), when connected; on the context. */
    private void announce(String pipeline) {
        if (options.discovery() == null || !client.isConnected()) {
            return;
        }
        options.discovery().configs(pipeline).forEach((topic, config) ->
                client.publish(topic, config.toBuffer(), MqttQoS.AT_LEAST_ONCE, false, true));
    }

    /** Removes one pipeline's entities from Home Assistant: an empty retained message on each config topic. */
    private void withdraw(String pipeline) {
        if (options.discovery() == null || !client.isConnected()) {
            return;
        }
        for (String topic : options.discovery().topics(pipeline)) {
            client.publish(topic, Buffer.buffer(), MqttQoS.AT_LEAST_ONCE, false, true);
        }
    }

    private static String describe(Throwable e) {
        String message = e.getMessage();
        return message == null || message.isBlank() ? e.getClass().getSimpleName() : message;
    }

    /** Publishes {@code offline}, disconnects, stops reconnecting. Waits at most a few seconds. */
    @Override
    public void close() {
        CompletableFuture<Void> done = new CompletableFuture<>();
        context.runOnContext(v -> {
            if (closed) {
                done.complete(null);
                return;
            }
            closed = true;
            if (reconnectTimer != -1) {
                vertx.cancelTimer(reconnectTimer);
                reconnectTimer = -1;
            }
            if (!client.isConnected()) {
                connected = false;
                done.complete(null);
                return;
            }
            client.publish(availabilityTopic, Buffer.buffer("offline"), MqttQoS.AT_MOST_ONCE, false, true)
                    .compose(id -> client.disconnect())
                    .recover(e -> Future.succeededFuture())
                    .onComplete(ar -> {
                        connected = false;
                        done.complete(null);
                    });
        });
        if (!Context.isOnEventLoopThread()) {
            try {
                done.get(3, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | TimeoutException e) {
                log.log(System.Logger.Level.DEBUG, "sink '" + options.id() + "': disconnect did not finish: " + e);
            }
        }
    }
}
