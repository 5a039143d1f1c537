package dev.earshot.plugins.file;

import dev.earshot.spi.PluginConfig;
import dev.earshot.spi.PluginContext;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** A plugin context as the host would make it: settings from a map, paths resolved against a home folder. */
final class FakePluginContext implements PluginContext {

    private final String instanceName;
    private final PluginConfig config;
    private final Path home;
    private final RecordingLogger logger;

    /** @param kind {@code sources} or {@code sinks}: the config prefix is {@code earshot.<kind>.<instanceName>} */
    FakePluginContext(String kind, String instanceName, Map<String, String> options, Path home) {
        this.instanceName = instanceName;
        this.config = new PluginConfig("earshot." + kind + "." + instanceName, options);
        this.home = home;
        this.logger = new RecordingLogger(System.getLogger("earshot.file." + instanceName));
    }

    static FakePluginContext source(String name, Map<String, String> options, Path home) {
        return new FakePluginContext("sources", name, options, home);
    }

    static FakePluginContext sink(String name, Map<String, String> options, Path home) {
        return new FakePluginContext("sinks", name, options, home);
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
        Path given = Path.of(path);
        return given.isAbsolute() ? given : home.resolve(given);
    }

    @Override
    public Path dataDirectory() {
        Path data = home.resolve("data").resolve(instanceName);
        try {
            return Files.createDirectories(data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public RecordingLogger logger() {
        return logger;
    }
}
