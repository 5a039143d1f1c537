package dev.earshot.plugins.mqtt;

import dev.earshot.spi.PluginConfig;
import dev.earshot.spi.PluginContext;
import dev.earshot.spi.PluginException;
import dev.earshot.spi.PluginOption;
import dev.earshot.spi.Redact;
import dev.earshot.spi.sink.TranscriptSink;
import dev.earshot.spi.sink.TranscriptSinkFactory;
import io.vertx.core.Vertx;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * Creates {@code mqtt} sinks. Options, under {@code earshot.sinks.<id>.}:
 * <ul>
 *   <li>{@code url} (required): {@code mqtt://host[:1883]} or {@code mqtts://host[:8883]} (TLS)</li>
 *   <li>{@code topic}: finals, {@code earshot/{device}/{pipeline}/transcript}; placeholders {@code {device}},
 *       {@code {pipeline}}, {@code {session}}, {@code {sink}}</li>
 *   <li>{@code partial-topic}: partials, {@code earshot/{device}/{pipeline}/partial}; {@code partials} (true)</li>
 *   <li>{@code qos}: QoS of finals, 0 to 2 (1); partials always go with QoS 0</li>
 *   <li>{@code device}: the {@code {device}} value (this machine's host name)</li>
 *   <li>{@code client-id} ({@code earshot-<device>-<sink id>}), {@code username}, {@code password-file}</li>
 *   <li>{@code availability-topic}: {@code earshot/{device}/availability}: {@code online} (retained) once connected,
 *       {@code offline} as the last will and on a clean stop</li>
 *   <li>{@code ha-discovery} (false): publish Home Assistant MQTT discovery, per pipeline that routes to the sink an
 *       event entity that fires on every final and a "last transcript" sensor ({@link HomeAssistantDiscovery});
 *       {@code ha-discovery-prefix} ({@code homeassistant}); {@code ha-configuration-url} (none): the console's
 *       address for Home Assistant's device page</li>
 *   <li>{@code keep-alive} (30s), {@code timeout} (10s: connecting, and waiting for the broker's PUBACK),
 *       {@code reconnect-delay} (1s) doubling up to {@code max-reconnect-delay} (30s)</li>
 *   <li>{@code tls-trust-file}: PEM file of the CA certificates to trust (mqtts; default: the JDK's),
 *       {@code tls-verify-host} (true)</li>
 * </ul>
 * A URL whose host name cannot be resolved fails start-up (a configuration error). A broker that refuses or does not
 * answer is retried in the background: finals wait in the host's spool meanwhile.
 */
public final class MqttSinkFactory implements TranscriptSinkFactory {

    public static final String NAME = "mqtt";
    static final Set<String> TOPIC_PLACEHOLDERS = Set.of("device", "pipeline", "session", "sink");

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public List<PluginOption> options() {
        return List.of(
                PluginOption.string("url", null, "The broker: mqtt://host[:1883] or mqtts://host[:8883] (TLS); a host"
                        + " name that cannot be resolved fails start-up.").asRequired(),
                PluginOption.string("topic", "earshot/{device}/{pipeline}/transcript", "Topic of finals; placeholders"
                        + " {device}, {pipeline}, {session}, {sink}."),
                PluginOption.bool("partials", true, "Also publish partial transcripts (always with QoS 0)."),
                PluginOption.string("partial-topic", "earshot/{device}/{pipeline}/partial", "Topic of partials; the"
                        + " same placeholders."),
                PluginOption.integer("qos", 1, "QoS of finals, 0 to 2."),
                PluginOption.string("device", null, "The {device} value; not set: this machine's host name."),
                PluginOption.string("availability-topic", "earshot/{device}/availability", "Gets online (retained)"
                        + " once connected, offline as the last will and on a clean stop; placeholders {device}, {sink}."),
                PluginOption.bool("ha-discovery", false, "Publish Home Assistant MQTT discovery: per pipeline that routes"
                        + " to the sink, an event entity that fires on every final and a last-transcript sensor."),
                PluginOption.string("ha-discovery-prefix", "homeassistant", "Home Assistant's discovery prefix."),
                PluginOption.string("ha-configuration-url", null, "The console's address for Home Assistant's device"
                        + " page, e.g. http://kitchen-pi.local:8080/."),
                PluginOption.string("client-id", null, "The MQTT client id; not set: earshot-<device>-<sink id>."),
                PluginOption.string("username", null, "User name for the broker."),
                PluginOption.path("password-file", null, "File holding the broker password (needs username); the"
                        + " password itself is never shown."),
                PluginOption.duration("keep-alive", "30s", "MQTT keep-alive interval."),
                PluginOption.duration("timeout", "10s", "Time limit for connecting and for the broker's PUBACK."),
                PluginOption.duration("reconnect-delay", "1s", "First delay before connecting again, doubling up to"
                        + " max-reconnect-delay."),
                PluginOption.duration("max-reconnect-delay", "30s", "Longest delay between connection attempts; at"
                        + " least reconnect-delay."),
                PluginOption.path("tls-trust-file", null, "PEM file of the CA certificates to trust (mqtts only);"
                        + " not set: the JDK's."),
                PluginOption.bool("tls-verify-host", true, "Check that the broker's certificate names its host (mqtts)."));
    }

    @Override
    public TranscriptSink create(PluginContext context) throws Exception {
        requireNonNull(context, "context is null");
        PluginConfig config = context.config();
        String id = context.instanceName();
        Vertx vertx = context.hostService(Vertx.class).orElseThrow(() -> new PluginException("sink '" + id
                + "' (type mqtt) needs the gateway's Vert.x, which this host does not offer"));

        String urlText = config.require("url", "the broker, e.g. mqtt://127.0.0.1:1883 or mqtts://broker.example.org");
        URI url;
        try {
            url = new URI(urlText);
        } catch (URISyntaxException e) {
            throw config.invalid("url", Redact.url(urlText), "mqtt://host[:port] or mqtts://host[:port] (" + e.getReason() + ")");
        }
        String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
        if (!Set.of("mqtt", "mqtts", "tcp", "ssl").contains(scheme) || url.getHost() == null
                || (url.getPath() != null && !url.getPath().isEmpty() && !url.getPath().equals("/"))) {
            throw config.invalid("url", Redact.url(urlText), "mqtt://host[:port] or mqtts://host[:port]");
        }
        boolean tls = scheme.equals("mqtts") || scheme.equals("ssl");
        int port = url.getPort() > 0 ? url.getPort() : tls ? 8883 : 1883;
        try {
            InetAddress.getByName(url.getHost());
        } catch (UnknownHostException e) {
            throw new PluginException(config.key("url") + ": sink '" + id + "': broker host '" + url.getHost()
                    + "' cannot be resolved; check the name (or use the broker's address)");
        }

        String device = config.getString("device", hostName());
        TopicTemplate topic = TopicTemplate.parse(config.key("topic"),
                config.getString("topic", "earshot/{device}/{pipeline}/transcript"), TOPIC_PLACEHOLDERS);
        boolean partials = config.getBoolean("partials", true);
        TopicTemplate partialTopic = TopicTemplate.parse(config.key("partial-topic"),
                config.getString("partial-topic", "earshot/{device}/{pipeline}/partial"), TOPIC_PLACEHOLDERS);
        TopicTemplate availability = TopicTemplate.parse(config.key("availability-topic"),
                config.getString("availability-topic", "earshot/{device}/availability"), Set.of("device", "sink"));
        int qos = config.getInt("qos", 1, 0, 2);
        HomeAssistantDiscovery discovery = null;
        if (config.getBoolean("ha-discovery", false)) {
            if (topic.toString().contains("{session}")) {
                throw new PluginException(config.key("ha-discovery") + ": Home Assistant needs one state topic per"
                        + " pipeline, but " + config.key("topic") + " contains {session}; remove it or turn discovery off");
            }
            if (partials && partialTopic.toString().equals(topic.toString())) {
                throw new PluginException(config.key("ha-discovery") + ": Home Assistant would take partials for"
                        + " transcripts, because " + config.key("partial-topic") + " equals " + config.key("topic")
                        + "; give partials a topic of their own or set " + config.key("partials") + "=false");
            }
            String haPrefix = config.getString("ha-discovery-prefix", "homeassistant");
            TopicTemplate.parse(config.key("ha-discovery-prefix"), haPrefix, Set.of());
            String configurationUrl = config.get("ha-configuration-url").orElse(null);
            if (configurationUrl != null && !configurationUrl.matches("https?://\\S+")) {
                throw config.invalid("ha-configuration-url", configurationUrl,
                        "the console's address as Home Assistant should link it, e.g. http://kitchen-pi.local:8080/");
            }
            discovery = new HomeAssistantDiscovery(haPrefix, device, id, new MqttPlugin().version(), configurationUrl,
                    availability.render(Map.of("device", device, "sink", id)), topic);
        }

        String clientId = config.getString("client-id", "earshot-" + TopicTemplate.safe(device) + "-" + id);
        String username = config.get("username").orElse(null);
        String password = config.get("password-file").map(file -> readSecret(context, config, "password-file", file)).orElse(null);
        if (password != null && username == null) {
            throw new PluginException(config.key("password-file") + " is set but " + config.key("username") + " is not");
        }
        Duration keepAlive = positive(config, "keep-alive", Duration.ofSeconds(30));
        Duration timeout = positive(config, "timeout", Duration.ofSeconds(10));
        Duration reconnectDelay = positive(config, "reconnect-delay", Duration.ofSeconds(1));
        Duration maxReconnectDelay = positive(config, "max-reconnect-delay", Duration.ofSeconds(30));
        if (maxReconnectDelay.compareTo(reconnectDelay) < 0) {
            throw config.invalid("max-reconnect-delay", config.getString("max-reconnect-delay", ""),
                    "at least " + config.key("reconnect-delay") + " (" + reconnectDelay.toMillis() + " ms)");
        }
        Path trustFile = null;
        Boolean verifyHost = config.getBoolean("tls-verify-host", true);
        if (config.get("tls-trust-file").isPresent()) {
            trustFile = context.resolvePath(config.get("tls-trust-file").get());
            if (!tls) {
                throw new PluginException(config.key("tls-trust-file") + " is set but " + config.key("url")
                        + " is not mqtts://; use mqtts:// for TLS");
            }
            if (!Files.isRegularFile(trustFile)) {
                throw new PluginException(config.key("tls-trust-file") + ": file " + trustFile + " does not exist;"
                        + " point it at the PEM file of the broker's CA certificate");
            }
        }
        MqttSink.Options options = new MqttSink.Options(id, urlText, url.getHost(), port, tls, trustFile, verifyHost,
                clientId, username, password, device, topic, partials, partialTopic, availability, qos, discovery,
                keepAlive, timeout, reconnectDelay, maxReconnectDelay);
        MqttSink sink = new MqttSink(vertx, options, context.logger());
        sink.start();
        return sink;
    }

    private static Duration positive(PluginConfig config, String key, Duration defaultValue) {
        Duration value = config.getDuration(key, defaultValue);
        if (value.toMillis() < 1) {
            throw config.invalid(key, config.getString(key, ""), "a positive duration such as 10s");
        }
        return value;
    }

    private static String readSecret(PluginContext context, PluginConfig config, String key, String file) {
        Path path = context.resolvePath(file);
        if (!Files.isRegularFile(path)) {
            throw new PluginException(config.key(key) + ": file " + path + " does not exist; write the broker password"
                    + " into it or remove the key");
        }
        try {
            return Files.readString(path, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw new PluginException(config.key(key) + ": cannot read " + path + ": " + e.getMessage(), e);
        }
    }

    private static String hostName() {
        String name = System.getenv("HOSTNAME");
        if (name == null || name.isBlank()) {
            try {
                name = InetAddress.getLocalHost().getHostName();
            } catch (IOException e) {
                name = "earshot";
            }
        }
        return name;
    }
}
