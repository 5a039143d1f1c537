package dev.earshot.gateway.protocol.wyomingserver;

import dev.earshot.gateway.Gateway;
import dev.earshot.gateway.config.EarshotConfig;
import dev.earshot.gateway.protocol.ConnectionGuard;
import dev.earshot.gateway.protocol.Listening;
import dev.earshot.gateway.protocol.PeerFilter;
import dev.earshot.gateway.session.EngineInstance;
import dev.earshot.gateway.runtime.GatewayRuntime;
import dev.earshot.gateway.pipeline.Pipeline;
import dev.earshot.spi.engine.ModelInfo;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.interceptor.Interceptor;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The Wyoming speech-to-text server (Home Assistant's voice protocol) on its own TCP port
 * ({@code earshot.ingest.wyoming.port}, 10300 by default). Each connection is one {@link WyomingConnection}.
 */
@ApplicationScoped
public class WyomingServer {

    private static final Logger LOG = Logger.getLogger(WyomingServer.class);

    @Inject
    Vertx vertx;

    @Inject
    Gateway gateway;

    @Inject
    EarshotConfig config;

    @Inject
    ConnectionGuard guard;

    @ConfigProperty(name = "quarkus.application.version", defaultValue = "unknown")
    String version;

    private final AtomicInteger connections = new AtomicInteger();
    private volatile NetServer server;
    private volatile PeerFilter peers = PeerFilter.any();
    private volatile ZeroconfAdvertiser zeroconf;

    /** After the gateway's runtime started (default observer priority). */
    void onStart(@Observes @Priority(Interceptor.Priority.APPLICATION + 1000) StartupEvent event) {
        EarshotConfig.WyomingConfig wyoming = config.ingest().wyoming();
        if (!wyoming.enabled()) {
            return;
        }
        peers = peerFilter(config);
        WyomingConnection.Limits limits = new WyomingConnection.Limits(wyoming.pipeline(),
                (int) Math.min(Integer.MAX_VALUE, wyoming.maxHeaderSize().asLongValue()),
                Math.min(Integer.MAX_VALUE, wyoming.maxMessageSize().asLongValue()), wyoming.idleTimeout(),
                config.ingest().handshakeTimeout(), config.ingest().writeStallTimeout(), guard);
        NetServer created = Listening.await(
                vertx.createNetServer(new NetServerOptions().setHost(wyoming.host()).setPort(wyoming.port())
                                // Replies are small; a fixed kernel buffer bounds what a client that reads nothing pins.
                                .setSendBufferSize(64 * 1024))
                        .connectHandler(socket -> accept(socket, limits)).listen(),
                "Wyoming server", wyoming.host(), wyoming.port(), "earshot.ingest.wyoming");
        server = created;
        LOG.infof("Wyoming STT server on tcp://%s:%d (pipeline '%s'); peers allowed: %s%s", wyoming.host(),
                created.actualPort(), wyoming.pipeline(), peers.describe(), config.api().token().isPresent()
                        && wyoming.allowedPeers().isEmpty() ? " (earshot.api.token is set: add LAN peers with "
                        + "earshot.ingest.wyoming.allowed-peers)" : "");
        if (wyoming.zeroconf()) {
            zeroconf = new ZeroconfAdvertiser(wyoming.zeroconfName().orElseGet(WyomingServer::defaultZeroconfName),
                    wyoming.host(), created.actualPort());
        }
    }

    /** {@code earshot-<host name>}: unique on a LAN, and at most 63 bytes (one DNS label). */
    static String defaultZeroconfName() {
        String host = System.getenv().getOrDefault("HOSTNAME", "");
        if (host.isBlank()) {
            try {
                host = InetAddress.getLocalHost().getHostName();
            } catch (UnknownHostException e) {
                host = "gateway";
            }
        }
        String name = "earshot-" + host.split("\\.")[0];
        return name.length() > 63 ? name.substring(0, 63) : name;
    }

    /**
     * Wyoming has no authentication: with an API token only loopback and {@code allowed-peers}; without one every
     * peer, unless {@code allowed-peers} is set, which always applies.
     */
    static PeerFilter peerFilter(EarshotConfig config) {
        List<String> allowed = config.ingest().wyoming().allowedPeers().orElse(List.of());
        boolean token = config.api().token().filter(t -> !t.isBlank()).isPresent();
        if (!token && allowed.isEmpty()) {
            return PeerFilter.any();
        }
        return PeerFilter.of(true, allowed, "earshot.ingest.wyoming.allowed-peers");
    }

    /** Before the gateway drains its pipelines: no new connections, open ones closed (their sessions aborted). */
    void onStop(@Observes @Priority(Interceptor.Priority.PLATFORM_BEFORE) ShutdownEvent event) {
        ZeroconfAdvertiser advertiser = zeroconf;
        zeroconf = null;
        if (advertiser != null) {
            advertiser.close();
        }
        NetServer current = server;
        server = null;
        if (current != null) {
            try {
                current.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                LOG.warnf("Wyoming server: closing the listener failed: %s", e.toString());
            }
        }
    }

    /** The port actually bound (useful with port 0), or -1 when not listening. */
    public int port() {
        NetServer current = server;
        return current == null ? -1 : current.actualPort();
    }

    /** Connections open now. */
    public int connections() {
        return connections.get();
    }

    private void accept(NetSocket socket, WyomingConnection.Limits limits) {
        String host = ConnectionGuard.host(socket.remoteAddress());
        InetAddress address = peerAddress(host);
        if (address == null || !peers.allows(address)) {
            guard.refused("wyoming", "peer", String.valueOf(socket.remoteAddress()), "not an allowed peer (allowed: "
                    + peers.describe() + "; earshot.ingest.wyoming.allowed-peers)");
            socket.close();
            return;
        }
        int perAddress = config.ingest().maxConnectionsPerAddress();
        if (!guard.admit("wyoming", host, perAddress)) {
            String message = perAddress + " connections from " + host
                    + " are open (earshot.ingest.max-connections-per-address)";
            guard.refused("wyoming", "per-address", String.valueOf(socket.remoteAddress()), message);
            WyomingConnection.refuse(socket, "busy", message);
            return;
        }
        int max = config.ingest().wyoming().maxSessions();
        if (connections.incrementAndGet() > max) {
            connections.decrementAndGet();
            guard.release("wyoming", host);
            String message = max + " connections are open (earshot.ingest.wyoming.max-sessions)";
            guard.refused("wyoming", "max-sessions", String.valueOf(socket.remoteAddress()), message);
            WyomingConnection.refuse(socket, "busy", message);
            return;
        }
        GatewayRuntime runtime = gateway.runtime();
        if (runtime == null || gateway.shuttingDown()) {
            connections.decrementAndGet();
            guard.release("wyoming", host);
            WyomingConnection.refuse(socket, "stopping", "the gateway is not running");
            return;
        }
        new WyomingConnection(socket, runtime, limits, () -> info(runtime), () -> {
            connections.decrementAndGet();
            guard.release("wyoming", host);
        }).start();
    }

    /** The peer's address from its literal text (no name look-up), or null. */
    private static InetAddress peerAddress(String host) {
        try {
            return host.contains(":") || host.matches("[0-9.]+") ? InetAddress.getByName(host) : null;
        } catch (java.net.UnknownHostException e) {
            return null;
        }
    }

    /**
     * The model of the Wyoming pipeline's engine as the engine describes it; an engine that does not gets its id as the
     * name, its plugin as the maker and {@code earshot.ingest.wyoming.languages} as its languages. Explicitly set
     * {@code languages} win over the engine's.
     */
    static ModelInfo modelInfo(EngineInstance engine, EarshotConfig.WyomingConfig wyoming) {
        String plugin = engine.spec().plugin() == null ? engine.spec().type() : engine.spec().plugin().name();
        List<String> configured = wyoming.languages().stream().map(String::trim).filter(l -> !l.isEmpty()).toList();
        ModelInfo own = engine.modelInfo().orElse(null);
        if (own == null) {
            return new ModelInfo(engine.id(), "", "Earshot plugin '" + plugin + "'", "", "", configured);
        }
        return own.languages().isEmpty()
                ? new ModelInfo(own.name(), own.description(), own.attribution(), own.attributionUrl(), own.version(), configured)
                : own;
    }

    /** The {@code info} event's data: one ASR program, the gateway, with the pipeline's engine as its model. */
    JsonObject info(GatewayRuntime runtime) {
        EarshotConfig.WyomingConfig wyoming = config.ingest().wyoming();
        JsonArray models = new JsonArray();
        Pipeline pipeline = runtime.pipeline(wyoming.pipeline()).orElse(null);
        EngineInstance engine = pipeline == null ? null : pipeline.engine();
        if (engine != null) {
            String pluginVersion = engine.spec().plugin() == null ? version : engine.spec().plugin().version();
            ModelInfo model = modelInfo(engine, wyoming);
            models.add(new JsonObject()
                    .put("name", engine.id())
                    .put("attribution", new JsonObject().put("name", model.attribution()).put("url", model.attributionUrl()))
                    .put("installed", pipeline.state() == Pipeline.State.RUNNING)
                    .put("description", (model.description().isEmpty() ? "" : model.description() + " (" + model.name()
                            + "); ") + "engine '"
                            + engine.id() + "' (type " + engine.spec().type() + ") of pipeline '" + pipeline.name()
                            + "', " + engine.inputFormat())
                    .put("version", model.version().isEmpty() ? pluginVersion : model.version())
                    .put("languages", new JsonArray(model.languages())));
        }
        JsonObject asr = new JsonObject()
                .put("name", "earshot")
                .put("attribution", new JsonObject().put("name", "Earshot").put("url", ""))
                .put("installed", true)
                .put("description", "Earshot gateway, pipeline '" + wyoming.pipeline() + "'")
                .put("version", version)
                .put("models", models)
                .put("supports_transcript_streaming", true);
        return new JsonObject().put("asr", new JsonArray().add(asr)).put("tts", new JsonArray())
                .put("handle", new JsonArray()).put("intent", new JsonArray()).put("wake", new JsonArray());
    }
}
