package dev.earshot.plugins.vosk;

import dev.earshot.spi.PluginConfig;
import dev.earshot.spi.PluginContext;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/** A plugin context as the host makes one for {@code earshot.engines.<instanceName>.*}, without the host. */
final class FakeContext implements PluginContext {

    private final String instanceName;
    private final PluginConfig config;
    private final Path home;
    private final Path dataDirectory;

    /**
     * @param values        the instance's settings, keys relative to {@code earshot.engines.<instanceName>}
     * @param home          the gateway home that relative paths resolve against
     * @param dataDirectory the instance's data folder (created on first use)
     */
    FakeContext(String instanceName, Map<String, String> values, Path home, Path dataDirectory) {
        this.instanceName = requireNonNull(instanceName, "instanceName is null");
        this.config = new PluginConfig("earshot.engines." + instanceName, requireNonNull(values, "values is null"));
        this.home = requireNonNull(home, "home is null");
        this.dataDirectory = requireNonNull(dataDirectory, "dataDirectory is null");
    }

    /** An engine context named "vosk" with the given settings, home and data folder in {@code folder}. */
    static FakeContext engine(Map<String, String> values, Path folder) {
        return new FakeContext("vosk", values, folder, folder.resolve("data"));
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
        Path value = Path.of(requireNonNull(path, "path is null"));
        return value.isAbsolute() ? value : home.resolve(value);
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
    public System.Logger logger() {
        return System.getLogger("earshot.plugin.vosk." + instanceName);
    }
}
