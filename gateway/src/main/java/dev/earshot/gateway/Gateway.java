package dev.earshot.gateway;

import dev.earshot.gateway.config.EarshotConfig;
import dev.earshot.gateway.runtime.GatewayRuntime;
import dev.earshot.gateway.settings.RuntimeSettings;
import dev.earshot.gateway.settings.AdmissionSettings;
import dev.earshot.gateway.settings.PipelineSettings;
import dev.earshot.gateway.speech.SpeechGateMode;
import dev.earshot.gateway.plugin.ComponentKind;
import dev.earshot.gateway.plugin.LoadedPlugin;
import dev.earshot.gateway.plugin.PluginFolder;
import dev.earshot.gateway.plugin.PluginInstallException;
import dev.earshot.gateway.plugin.PluginPolicy;
import dev.earshot.gateway.plugin.PluginRegistry;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.LaunchMode;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The gateway inside Quarkus: builds the {@link GatewayRuntime} from configuration when the application starts,
 * and drains it when the application stops.
 */
@ApplicationScoped
public class Gateway {

    private static final Logger LOG = Logger.getLogger(Gateway.class);

    @Inject
    Vertx vertx;

    @Inject
    MeterRegistry registry;

    @Inject
    EarshotConfig config;

    @ConfigProperty(name = "quarkus.http.host", defaultValue = "localhost")
    String httpHost;

    @ConfigProperty(name = "quarkus.http.port", defaultValue = "8080")
    int httpPort;

    private volatile GatewayRuntime runtime;
    private volatile PluginFolder pluginFolder;
    private volatile boolean shuttingDown;
    private final AtomicBoolean drained = new AtomicBoolean();

    void onStart(@Observes StartupEvent event) {
        RuntimeSettings settings = settings(config);
        PluginRegistry plugins = PluginRegistry.load(Thread.currentThread().getContextClassLoader());
        pluginFolder = new PluginFolder(pluginDir(config, settings), pluginPolicy(config, settings));
        for (LoadedPlugin installed : pluginFolder.loadAll(plugins::plugin)) {
            try {
                plugins.add(installed);
                LOG.infof("plugin '%s' %s loaded from %s", installed.name(), installed.version(), installed.location());
            } catch (PluginInstallException e) {
                LOG.errorf("plugins folder: skipping %s: %s", installed.location(), e.getMessage());
                PluginFolder.closeQuietly(installed);
            }
        }
        GatewayRuntime created = new GatewayRuntime(vertx, registry, settings, plugins);
        runtime = created;
        created.start();
        if (LaunchMode.current() == LaunchMode.NORMAL) {
            TermSignalHandler.install(this);
        }
        int port = httpPort;
        String host = httpHost.equals("0.0.0.0") ? "localhost" : httpHost;
        LOG.infof("Earshot is ready: console http://%s:%d/  transcribe: curl -H 'Content-Type: audio/wav' --data-binary @speech.wav http://%s:%d/api/transcribe",
                host, port, host, port);
    }

    /** When Quarkus stops for another reason than SIGTERM (which drains first, see {@link TermSignalHandler}). */
    void onStop(@Observes ShutdownEvent event) {
        drain();
    }

    /**
     * Drains the gateway: readiness is DOWN from the first moment, pipelines refuse new sessions (503), uploads and
     * files in progress may finish, live sessions end and flush their finals, sinks deliver what is queued, all
     * within {@code earshot.runtime.drain-timeout}. Idempotent; the first call does the work.
     */
    void drain() {
        beginShutdown();
        GatewayRuntime current = runtime;
        if (current == null || !drained.compareAndSet(false, true)) {
            return;
        }
        long begin = System.nanoTime();
        current.stop();
        // Installed plugins were stopped with the runtime; their class loaders hold their jars open.
        current.plugins().plugins().stream().filter(LoadedPlugin::installed).forEach(PluginFolder::closeQuietly);
        List<String> left = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().startsWith("earshot-")).map(Thread::getName).sorted().toList();
        LOG.infof("earshot drained in %d ms (drain timeout %s); gateway threads left: %s",
                (System.nanoTime() - begin) / 1_000_000, config.runtime().drainTimeout(),
                left.isEmpty() ? "none" : String.join(", ", left));
    }

    /** From now on readiness reports DOWN, so that traffic moves elsewhere before the drain. Idempotent. */
    public void beginShutdown() {
        shuttingDown = true;
    }

    Duration drainTimeout() {
        return config.runtime().drainTimeout();
    }

    /** The running runtime; null before start-up finished. */
    public GatewayRuntime runtime() {
        return runtime;
    }

    /** The folder of installed plugin jars; null before start-up. */
    public PluginFolder pluginFolder() {
        return pluginFolder;
    }

    /** Largest plugin jar {@code POST /api/plugins} accepts. */
    public long maxPluginSize() {
        return config.api().maxPluginSize().asLongValue();
    }

    static PluginPolicy pluginPolicy(EarshotConfig config, RuntimeSettings settings) {
        EarshotConfig.PluginChecksConfig checks = config.pluginChecks();
        return new PluginPolicy(checks.maxEntries(), checks.maxInflatedSize().asLongValue(), checks.maxCompressionRatio(),
                checks.loadTimeout(), PluginPolicy.digests(checks.trustedDigests().orElse(List.of())),
                checks.trustedSigner().map(file -> PluginPolicy.signer(settings.home().resolve(file))));
    }

    static Path pluginDir(EarshotConfig config, RuntimeSettings settings) {
        return config.pluginDir().map(settings.home()::resolve).orElse(settings.dataDir().resolve("installed-plugins")).normalize();
    }

    public boolean shuttingDown() {
        return shuttingDown;
    }

    static RuntimeSettings settings(EarshotConfig config) {
        Path home = config.home().map(Path::of).orElseGet(Gateway::detectHome).toAbsolutePath().normalize();
        Path dataDir = config.dataDir().map(home::resolve).orElse(home.resolve("data")).normalize();
        Map<String, PipelineSettings> pipelines = new LinkedHashMap<>();
        config.pipelines().forEach((name, p) -> pipelines.put(name, new PipelineSettings(name, p.enabled(), p.source(),
                p.engine(), names(p.sinks()), p.hooks().map(Gateway::names).orElse(List.of()), p.frameQueue(), p.maxSessions(),
                SpeechGateMode.parse("earshot.pipelines." + name + ".speech-gate", p.speechGate()))));
        Map<ComponentKind, Map<String, Map<String, String>>> components = new EnumMap<>(ComponentKind.class);
        components.put(ComponentKind.SOURCE, config.sources());
        components.put(ComponentKind.ENGINE, config.engines());
        components.put(ComponentKind.SINK, config.sinks());
        components.put(ComponentKind.HOOK, config.hooks());
        int threads = config.runtime().decodeThreads() > 0 ? config.runtime().decodeThreads()
                : Runtime.getRuntime().availableProcessors();
        return new RuntimeSettings(home, dataDir, pipelines, components, config.plugins(), threads,
                config.runtime().hookTimeout(), config.runtime().drainTimeout(), config.runtime().sinkQueueSize(),
                new AdmissionSettings(config.admission().enabled(), config.admission().maxLoad(), config.admission().maxLag()));
    }

    private static List<String> names(List<String> values) {
        return values.stream().map(String::trim).filter(v -> !v.isEmpty() && !v.equals("none")).toList();
    }

    /**
     * The distribution folder when run as {@code java -jar .../quarkus-app/quarkus-run.jar} (the bundled model lives
     * in its {@code model/} folder), otherwise the working directory.
     */
    static Path detectHome() {
        String classPath = System.getProperty("java.class.path", "");
        for (String entry : classPath.split(File.pathSeparator)) {
            Path jar = Path.of(entry);
            if (jar.getFileName() != null && jar.getFileName().toString().equals("quarkus-run.jar")) {
                Path folder = jar.toAbsolutePath().getParent();
                if (folder != null && Files.isDirectory(folder)) {
                    return folder;
                }
            }
        }
        return Path.of("").toAbsolutePath();
    }
}
