package dev.earshot.gateway.config;

import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Earshot's configuration ({@code application.properties}, {@code -D} options or environment variables such as
 * {@code EARSHOT_API_TOKEN}). Components are declared by id under their section and used by name in pipelines:
 * <pre>
 * earshot.engines.vosk.model=model/en-us            # engine instance "vosk" (type defaults to the id)
 * earshot.sinks.transcripts.type=jsonl              # sink instance "transcripts" of type jsonl
 * earshot.sinks.transcripts.path=data/transcripts.jsonl
 * earshot.pipelines.default.engine=vosk
 * earshot.pipelines.default.sinks=log,transcripts
 * </pre>
 */
@ConfigMapping(prefix = "earshot")
public interface EarshotConfig {

    /**
     * Folder that relative paths in plugin settings resolve against (e.g. the default model {@code model/en-us}).
     * Default: the distribution folder ({@code quarkus-app}) when run from it, else the working directory.
     */
    Optional<String> home();

    /** Writable folder for plugin data (spools, caches). Default: {@code data} under the home folder. */
    Optional<String> dataDir();

    /**
     * Folder of installed plugin jars (one class loader each; {@code POST /api/plugins} writes here). Relative to the
     * home folder. Default: {@code installed-plugins} under the data folder. Must be writable to install plugins at run time.
     */
    Optional<String> pluginDir();

    /** Pipelines by name. */
    Map<String, PipelineConfig> pipelines();

    /** Capture source instances: {@code earshot.sources.<id>.type} plus the plugin's own options. */
    Map<String, Map<String, String>> sources();

    /** Speech engine instances: {@code earshot.engines.<id>.type} plus the plugin's own options. */
    Map<String, Map<String, String>> engines();

    /**
     * Sink instances: {@code earshot.sinks.<id>.type}, the host's keys ({@code queue-size}, {@code retries},
     * {@code retry-delay}, {@code max-retry-delay}, {@code spool-size} (64M), {@code spool-full}
     * ({@code refuse} or {@code drop-oldest})), plus the plugin's own options.
     */
    Map<String, Map<String, String>> sinks();

    /** Session hook instances: {@code earshot.hooks.<id>.type} plus the plugin's own options. */
    Map<String, Map<String, String>> hooks();

    /** Settings of plugins themselves, passed to their start hook: {@code earshot.plugins.<plugin>.<key>}. */
    Map<String, Map<String, String>> plugins();

    RuntimeConfig runtime();

    AdmissionConfig admission();

    ApiConfig api();

    IngestConfig ingest();

    interface PipelineConfig {
        /** Start the pipeline with the gateway. */
        @WithDefault("true")
        boolean enabled();

        /** Capture source id or type; none means sessions come only from ingest endpoints (API, protocols). */
        Optional<String> source();

        /** Speech engine id or type. */
        @WithDefault("vosk")
        String engine();

        /** Sink ids or types, comma-separated; {@code none} for no sink (the live event stream still works). */
        @WithDefault("log")
        List<String> sinks();

        /** Session hook ids or types, comma-separated. */
        Optional<List<String>> hooks();

        /** Frames (typically 100 ms each) a session may queue in front of its recognizer. */
        @WithDefault("50")
        int frameQueue();

        /** Sessions open at once in this pipeline; more are refused (503). */
        @WithDefault("64")
        int maxSessions();

        /**
         * Decode only the audio around speech ({@code auto}, {@code on}, {@code off}): a speech detector in front of
         * the recognizer lets through speech with 300 ms before it and 1 s after it, so room tone never becomes words
         * and costs no decoding. {@code auto} gates live audio (microphones, WHIP, exec sources, vosk-server and
         * Wyoming clients) and decodes files and uploads whole.
         */
        @WithDefault("auto")
        String speechGate();
    }

    interface RuntimeConfig {
        /**
         * Threads decoding speech, shared by all sessions (each session decoded in order; live sessions before uploads
         * and file sources). 0: one per CPU core.
         */
        @WithDefault("0")
        int decodeThreads();

        /** Time limit of every plugin and session hook. */
        @WithDefault("5s")
        Duration hookTimeout();

        /** How long shutdown or a pipeline stop waits for sessions and sinks to finish. */
        @WithDefault("10s")
        Duration drainTimeout();

        /** Default bound of each sink's queue (events); override per sink with {@code earshot.sinks.<id>.queue-size}. */
        @WithDefault("256")
        int sinkQueueSize();
    }

    /**
     * Admission of new live sessions (WHIP, vosk-server and Wyoming clients) by measured decode load: when decoding
     * cannot keep up with one more live stream, a new one is refused (503 with {@code Retry-After}, close 1013 after a
     * vosk-server handshake, an {@code error} event on Wyoming) instead of every live session falling behind. Uploads
     * and file sources are never refused by it. See docs/PERFORMANCE.md, "Admission".
     */
    interface AdmissionConfig {
        /** Refuse new live sessions when decoding is at capacity. */
        @WithDefault("true")
        boolean enabled();

        /**
         * The share of the decoding threads ({@code earshot.runtime.decode-threads}) the live sessions may need
         * together, measured (decoding-thread seconds per second of audio, summed over the live sessions); a new one is
         * refused when the load plus one more continuous stream would exceed it. 0.1 to 4; 1.0: all of them.
         */
        @WithDefault("1.0")
        double maxLoad();

        /** A live session this far behind real time (at two samples in a row) refuses new ones. 200ms to 60s. */
        @WithDefault("2s")
        Duration maxLag();
    }

    interface ApiConfig {
        /**
         * The gateway's token: grants everything (administration, audio in, transcripts out), sent as
         * {@code Authorization: Bearer <token>} or as the {@code access_token} query parameter. At least 16
         * characters, not a placeholder. When no token is set at all, the gateway serves this machine only
         * (loopback peers, loopback {@code Host}, same-origin requests); see docs/SECURITY.md.
         */
        Optional<String> token();

        /** A narrower token for audio in only (uploads, WHIP, vosk-server). Needs {@code token} set too. */
        Optional<String> ingestToken();

        /** A narrower token for transcripts and state out only (event streams, sessions, metrics). Needs {@code token}. */
        Optional<String> readToken();

        /**
         * Lets listeners bind beyond loopback while no token is set. The HTTP API and the vosk-server port still serve
         * loopback callers only; the Wyoming port (which has no authentication) serves its peers. Off by default: then
         * a non-loopback listen address without a token stops the start with a message.
         */
        @WithDefault("false")
        boolean allowRemoteWithoutToken();

        /** Serve {@code /q/metrics} without a token (for a Prometheus that cannot send one). */
        @WithDefault("false")
        boolean publicMetrics();

        /** Largest plugin jar accepted by {@code POST /api/plugins}; larger uploads get 413. */
        @WithDefault("20M")
        MemorySize maxPluginSize();

        /** Pipeline used by {@code POST /api/transcribe} without {@code ?pipeline=}. */
        @WithDefault("default")
        String defaultPipeline();

        /** Largest accepted upload (e.g. {@code POST /api/transcribe}); larger bodies get 413. */
        @WithName("max-upload-size")
        @WithDefault("50M")
        String maxUploadSize();

        /**
         * Uploads ({@code POST /api/transcribe}) in flight at once over all pipelines, from the first byte of the body
         * to the answer; more get 503 with {@code Retry-After}. Each one holds a speech recognizer (native memory,
         * about 25 MB with the small English model) while it is decoded.
         */
        @WithDefault("8")
        int maxUploadsInFlight();

        /**
         * Heap the uploads in flight may hold together: each reserves its read-ahead (64 KiB), its WAV header (up to
         * 256 KiB) and then its frame queue ({@code frame-queue} frames at the file's rate and channels) while it is
         * transcribed; an upload that does not fit gets 503 with {@code Retry-After}. Bodies are decoded as they
         * arrive, never held whole.
         */
        @WithDefault("32M")
        MemorySize uploadBufferBudget();

        /** Audio per frame when an upload is fed to a pipeline. */
        @WithDefault("100ms")
        Duration frameDuration();

        /** Longest a transcription may take before the request fails with 504. */
        @WithDefault("120s")
        Duration transcribeTimeout();
    }

    /** Protocol endpoints that existing clients connect to: one connection is one session of a pipeline. */
    interface IngestConfig {

        /** The vosk-server compatible WebSocket endpoint. */
        VoskConfig vosk();

        /** The Wyoming speech-to-text server (Home Assistant). */
        WyomingConfig wyoming();

        /** The WHIP endpoint (WebRTC-HTTP ingestion, RFC 9725) on the HTTP port: {@code /whip/<pipeline>}. */
        WhipConfig whip();

        /**
         * Most connections one client address may hold open on the vosk-server port and {@code /asr/vosk} together,
         * and on the Wyoming port; more are refused (503 with Retry-After before the WebSocket handshake, an
         * {@code error} event {@code busy} on Wyoming). 0 turns the limit off.
         */
        @WithDefault("8")
        int maxConnectionsPerAddress();

        /**
         * Most TCP connections one client address may hold open on the HTTP port (a browser opens up to six); a
         * connection over it gets 503 with Retry-After at its first request and is closed. 0 turns the limit off.
         */
        @WithDefault("32")
        int httpMaxConnectionsPerAddress();

        /**
         * A connection that has not completed its first HTTP request (HTTP port), its WebSocket upgrade (vosk-server
         * port) or its first Wyoming event within this time is closed.
         */
        @WithDefault("10s")
        Duration handshakeTimeout();

        /**
         * A connection on the HTTP port with no traffic either way for this long is closed (event streams send a
         * heartbeat every 15 s, so keep this above that). Replaces {@code quarkus.http.idle-timeout}.
         */
        @WithDefault("90s")
        Duration httpIdleTimeout();

        /**
         * A vosk-server or Wyoming client whose write queue stays full this long (it does not read its replies) is
         * closed. Meanwhile nothing more is read from it, so it cannot grow the gateway's memory.
         */
        @WithDefault("30s")
        Duration writeStallTimeout();
    }

    interface WhipConfig {
        /** Serve {@code /whip/<pipeline>} on the HTTP port. */
        @WithDefault("true")
        boolean enabled();

        /** WHIP sessions open at once, over all pipelines; more get 503 with Retry-After. */
        @WithDefault("8")
        int maxSessions();

        /** Largest SDP offer (and trickle-ICE fragment); larger ones get 413. */
        @WithDefault("32K")
        MemorySize maxOfferSize();

        /** Time from the answer until ICE and DTLS are up; a session not connected by then ends. */
        @WithDefault("15s")
        Duration connectTimeout();

        /** A connected session that receives no audio for this long ends. */
        @WithDefault("30s")
        Duration idleTimeout();

        /**
         * The Opus bitrate (bits/s) the answer asks publishers to send ({@code maxaveragebitrate}): speech
         * recognition gains from more than a browser's 32 kbit/s default, and a LAN carries it easily. 6000 to 510000.
         */
        @WithDefault("96000")
        int opusBitrate();

        /**
         * STUN/TURN servers for our ICE candidates, e.g. {@code stun:stun.example.org:3478}; none by default (host
         * candidates only, enough on a LAN).
         */
        Optional<List<String>> iceServers();

        /** Username for the TURN servers in {@code ice-servers}. */
        Optional<String> iceUsername();

        /** Password (credential) for the TURN servers in {@code ice-servers}. */
        Optional<String> icePassword();
    }

    interface VoskConfig {
        /** Listen on {@code port} (and serve {@code /asr/vosk} on the HTTP port). */
        @WithDefault("true")
        boolean enabled();

        /** Listen address of the dedicated WebSocket port. */
        @WithDefault("127.0.0.1")
        String host();

        /** The dedicated WebSocket port (vosk-server's 2700); 0 picks a free port. */
        @WithDefault("2700")
        int port();

        /** Pipeline the connections' sessions run in, unless a client's {@code config.model} names another. */
        @WithDefault("default")
        String pipeline();

        /**
         * The sample rate of a client that sends no {@code config}, in Hz: vosk-server's own default
         * ({@code VOSK_SAMPLE_RATE}), 8000, so that its clients are understood unchanged.
         */
        @WithDefault("8000")
        int defaultSampleRate();

        /** Connections open at once; more are refused (HTTP 503 before the WebSocket handshake). */
        @WithDefault("16")
        int maxSessions();

        /**
         * Largest WebSocket message (an audio chunk or a JSON command). A larger one closes the connection with
         * status 1009. On the HTTP port's {@code /asr/vosk}, Quarkus's own WebSocket limits apply first.
         */
        @WithDefault("1M")
        MemorySize maxMessageSize();

        /** A connection that sends nothing for this long (while nothing is owed to it) is closed with 1001. */
        @WithDefault("60s")
        Duration idleTimeout();
    }

    interface WyomingConfig {
        /** Listen on {@code port}. */
        @WithDefault("true")
        boolean enabled();

        /** Listen address. */
        @WithDefault("127.0.0.1")
        String host();

        /** The TCP port (Wyoming's usual 10300); 0 picks a free port. */
        @WithDefault("10300")
        int port();

        /** Pipeline the connections' sessions run in; its engine is what {@code describe} reports. */
        @WithDefault("default")
        String pipeline();

        /** Connections open at once; more get an {@code error} event and are closed. */
        @WithDefault("16")
        int maxSessions();

        /** Largest {@code data_length} or {@code payload_length} of one event. */
        @WithDefault("1M")
        MemorySize maxMessageSize();

        /** Longest JSON header line of one event, newline included. */
        @WithDefault("64K")
        MemorySize maxHeaderSize();

        /** A connection that sends nothing for this long (while no transcript is owed to it) is closed. */
        @WithDefault("60s")
        Duration idleTimeout();

        /** Languages the pipeline's model speaks, reported in {@code info} (engines do not tell). */
        @WithDefault("en")
        List<String> languages();

        /**
         * Peers allowed to connect, as IP addresses or CIDR blocks ({@code 192.168.1.0/24,fd00::/8}); loopback is
         * always allowed. Wyoming has no authentication, so when {@code earshot.api.token} is set only loopback and
         * these peers may connect; without a token every peer may, unless this is set, which always applies. Other
         * peers are closed at accept.
         */
        Optional<List<String>> allowedPeers();

        /**
         * Advertise the server over zeroconf (mDNS service discovery, {@code _wyoming._tcp}) so that Home Assistant
         * finds it by itself. Only when it listens beyond loopback ({@code host} a LAN address or {@code 0.0.0.0}).
         */
        @WithDefault("true")
        boolean zeroconf();

        /** The name it is advertised under (Home Assistant shows it); default {@code earshot-<host name>}. */
        Optional<String> zeroconfName();
    }

    /**
     * Checks on a plugin jar before any of its code runs: at {@code POST /api/plugins} and for the jars in the plugins
     * folder at start-up. A jar failing one is refused (400, or 403 when it is not trusted) with the limit and its key.
     */
    PluginChecksConfig pluginChecks();

    interface PluginChecksConfig {
        /** Most entries (files and folders) a plugin jar may hold. */
        @WithDefault("20000")
        int maxEntries();

        /** Most bytes all entries of a plugin jar may inflate to, together (the jar is never unpacked; this bounds the work). */
        @WithDefault("256M")
        MemorySize maxInflatedSize();

        /** Most times one entry may inflate beyond its compressed size, checked once it passed 1 MiB (zip bombs). */
        @WithDefault("100")
        int maxCompressionRatio();

        /**
         * Longest the plugin's static initialisers, constructor, {@code name()} and factory listing may take when it is
         * loaded; a plugin that takes longer is refused and its class loader closed.
         */
        @WithDefault("10s")
        Duration loadTimeout();

        /**
         * SHA-256 digests (hex, as {@code sha256sum} prints) of the only plugin jars to accept. When this or
         * {@code trusted-signer} is set, a jar matching neither is refused with 403.
         */
        Optional<List<String>> trustedDigests();

        /**
         * An X.509 certificate file (PEM or DER, e.g. {@code keytool -exportcert -rfc}): plugin jars whose every file is
         * signed (jarsigner) by this certificate, or by a chain holding it, are accepted. When this or
         * {@code trusted-digests} is set, a jar matching neither is refused with 403.
         */
        Optional<String> trustedSigner();
    }
}
