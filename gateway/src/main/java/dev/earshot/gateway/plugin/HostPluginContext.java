package dev.earshot.gateway.plugin;

import dev.earshot.spi.PluginConfig;
import dev.earshot.spi.PluginContext;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/** The gateway's implementation of the context handed to plugin factories. */
public final class HostPluginContext implements PluginContext {

    private final String instanceName;
    private final PluginConfig config;
    private final Path home;
    private final Path dataDirectory;
    private final System.Logger logger;
    private final Map<Class<?>, Object> services;

    public HostPluginContext(String loggerName, String instanceName, PluginConfig config, Path home, Path dataDirectory,
                             Map<Class<?>, Object> services) {
        this.instanceName = requireNonNull(instanceName, "instanceName is null");
        this.config = requireNonNull(config, "config is null");
        this.home = requireNonNull(home, "home is null");
        this.dataDirectory = requireNonNull(dataDirectory, "dataDirectory is null");
        this.logger = System.getLogger(requireNonNull(loggerName, "loggerName is null"));
        this.services = Map.copyOf(services);
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
        return home.resolve(path).normalize();
    }

    @Override
    public Path dataDirectory() {
        try {
            return Files.createDirectories(dataDirectory);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create data folder " + dataDirectory + " (set earshot.data-dir to a writable folder)", e);
        }
    }

    @Override
    public System.Logger logger() {
        return logger;
    }

    @Override
    public <T> Optional<T> hostService(Class<T> type) {
        Object service = services.get(type);
        return type.isInstance(service) ? Optional.of(type.cast(service)) : Optional.empty();
    }
}
