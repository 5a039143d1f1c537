package dev.earshot.conformance;

import dev.earshot.spi.PluginConfig;
import dev.earshot.spi.PluginContext;
import dev.earshot.spi.PluginOption;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.MessageFormat;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ResourceBundle;
import java.util.function.Supplier;

import static java.util.Objects.requireNonNull;

/**
 * A {@link PluginContext} as the gateway makes one, without the gateway: settings under
 * {@code earshot.<section>.<instance>.*} from a map, relative paths resolved against a home folder, a data folder
 * created on first use, a logger that keeps the last {@value #KEPT_LOG_LINES} records it was given (and passes them
 * on to the platform logger), and optional host services.
 */
public final class TestPluginContext implements PluginContext {

    static final int KEPT_LOG_LINES = 200;

    private final String instanceName;
    private final PluginConfig config;
    private final Path home;
    private final Path dataDirectory;
    private final RecordingLogger logger;
    private final Map<Class<?>, Object> services;

    private TestPluginContext(String section, String instanceName, Map<String, String> options, Path home,
                              Map<Class<?>, Object> services) {
        this(section, instanceName, options, List.of(), home, services);
    }

    private TestPluginContext(String section, String instanceName, Map<String, String> options,
                              List<PluginOption> declared, Path home, Map<Class<?>, Object> services) {
        this.instanceName = requireNonNull(instanceName, "instanceName is null");
        this.config = new PluginConfig("earshot." + section + "." + instanceName, requireNonNull(options, "options is null"),
                declared);
        this.home = requireNonNull(home, "home is null").toAbsolutePath();
        this.dataDirectory = this.home.resolve("data").resolve(section).resolve(instanceName);
        this.logger = new RecordingLogger(System.getLogger("dev.earshot.plugin." + section + "." + instanceName));
        this.services = Map.copyOf(services);
    }

    /** A context for {@code earshot.sources.<name>.*}. */
    public static TestPluginContext source(String name, Map<String, String> options, Path home) {
        return new TestPluginContext("sources", name, options, home, Map.of());
    }

    /** A context for {@code earshot.engines.<name>.*}. */
    public static TestPluginContext engine(String name, Map<String, String> options, Path home) {
        return new TestPluginContext("engines", name, options, home, Map.of());
    }

    /** A context for {@code earshot.sinks.<name>.*}. */
    public static TestPluginContext sink(String name, Map<String, String> options, Path home) {
        return new TestPluginContext("sinks", name, options, home, Map.of());
    }

    /** A context for {@code earshot.hooks.<name>.*}. */
    public static TestPluginContext hook(String name, Map<String, String> options, Path home) {
        return new TestPluginContext("hooks", name, options, home, Map.of());
    }

    /** A context for a plugin's own settings, {@code earshot.plugins.<name>.*}. */
    public static TestPluginContext plugin(String name, Map<String, String> options, Path home) {
        return new TestPluginContext("plugins", name, options, home, Map.of());
    }

    /** This context, also offering {@code service} as a host service of type {@code type}. */
    public <T> TestPluginContext withService(Class<T> type, T service) {
        Map<Class<?>, Object> more = new HashMap<>(services);
        more.put(type, service);
        return new TestPluginContext(section(), instanceName, config.asMap(), config.options(), home, more);
    }

    /**
     * This context with its settings checked against a factory's declared options, as the gateway checks them: an
     * {@link AssertionError} lists the problems ({@link PluginConfig#problems()}). After {@code create}, a test can
     * assert that {@link PluginConfig#undeclaredReads()} is empty: the factory declared every key it read.
     */
    public TestPluginContext withOptions(List<PluginOption> declared) {
        TestPluginContext checked = new TestPluginContext(section(), instanceName, config.asMap(), declared, home, services);
        List<String> problems = checked.config.problems();
        if (!problems.isEmpty()) {
            throw new AssertionError("the settings do not fit the declared options: " + String.join("; ", problems));
        }
        return checked;
    }

    private String section() {
        return config.prefix().substring("earshot.".length(), config.prefix().lastIndexOf('.' + instanceName));
    }

    @Override
    public String instanceName() {
        return instanceName;
    }

    @Override
    public PluginConfig config() {
        return config;
    }

    @Override
    public Path resolvePath(String path) {
        Path given = Path.of(requireNonNull(path, "path is null"));
        return given.isAbsolute() ? given : home.resolve(given);
    }

    @Override
    public Path dataDirectory() {
        try {
            return Files.createDirectories(dataDirectory);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public RecordingLogger logger() {
        return logger;
    }

    @Override
    public <T> Optional<T> hostService(Class<T> type) {
        return Optional.ofNullable(services.get(type)).map(type::cast);
    }

    /** A logger that remembers its last {@value #KEPT_LOG_LINES} records (any level) and passes every record on. */
    public static final class RecordingLogger implements System.Logger {

        /** One record as the plugin logged it: the message formatted, the throwable if one was given. */
        public record Entry(Level level, String message, Throwable thrown) {
        }

        private final System.Logger delegate;
        private final Deque<Entry> entries = new ArrayDeque<>();

        RecordingLogger(System.Logger delegate) {
            this.delegate = delegate;
        }

        /** The last records, oldest first. */
        public synchronized List<Entry> entries() {
            return List.copyOf(entries);
        }

        /** The last records logged at exactly {@code level}, oldest first. */
        public synchronized List<Entry> entries(Level level) {
            return entries.stream().filter(entry -> entry.level() == level).toList();
        }

        /** The last records logged at INFO or above, as "LEVEL message" (": throwable" appended when one was given). */
        public synchronized List<String> lines() {
            return entries.stream()
                    .filter(entry -> entry.level().getSeverity() >= Level.INFO.getSeverity())
                    .map(entry -> entry.level().name() + " " + entry.message() + (entry.thrown() == null ? "" : ": " + entry.thrown()))
                    .toList();
        }

        /** Whether a record logged at {@code level} or above contains {@code text} in its message. */
        public synchronized boolean logged(Level level, String text) {
            return entries.stream().anyMatch(entry ->
                    entry.level().getSeverity() >= level.getSeverity() && entry.message().contains(text));
        }

        private synchronized void remember(Level level, String message, Throwable thrown) {
            if (entries.size() == KEPT_LOG_LINES) {
                entries.removeFirst();
            }
            entries.addLast(new Entry(level, message, thrown));
        }

        @Override
        public String getName() {
            return delegate.getName();
        }

        @Override
        public boolean isLoggable(Level level) {
            return true;
        }

        @Override
        public void log(Level level, ResourceBundle bundle, String message, Throwable thrown) {
            remember(level, message, thrown);
            delegate.log(level, bundle, message, thrown);
        }

        @Override
        public void log(Level level, ResourceBundle bundle, String format, Object... params) {
            String message = params == null || params.length == 0 ? format : MessageFormat.format(format, params);
            remember(level, message, null);
            delegate.log(level, bundle, message);
        }

        @Override
        public void log(Level level, Supplier<String> supplier) {
            String message = supplier.get();
            remember(level, message, null);
            delegate.log(level, message);
        }
    }
}
