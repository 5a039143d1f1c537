package dev.earshot.conformance;

import dev.earshot.spi.Plugin;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@link Plugin} entry point's contract: found by {@link ServiceLoader} (listed in
 * {@code META-INF/services/dev.earshot.spi.Plugin}), a name, a version, factories with unique non-blank names, and
 * start/stop hooks that return within the host's hook time limit.
 */
public abstract class PluginContract {

    /** The plugin's class; the kit finds it through ServiceLoader like the host does. */
    protected abstract Class<? extends Plugin> pluginClass();

    protected Duration hookTimeLimit() {
        return Duration.ofSeconds(5);
    }

    protected final Plugin load() {
        for (Plugin plugin : ServiceLoader.load(Plugin.class, pluginClass().getClassLoader())) {
            if (plugin.getClass() == pluginClass()) {
                return plugin;
            }
        }
        throw new AssertionError(pluginClass().getName() + " is not listed in META-INF/services/dev.earshot.spi.Plugin");
    }

    @Test
    void foundByServiceLoaderWithNameVersionAndUniqueFactoryNames() {
        Plugin plugin = load();
        assertFalse(plugin.name() == null || plugin.name().isBlank(), "the plugin has no name");
        assertNotEquals("unknown", plugin.version(), "no version: add earshot-plugin.properties with version=${project.version}");
        assertEquals(plugin.name(), declaredName(plugin), "earshot-plugin.properties beside " + plugin.getClass().getName()
                + " must say name=" + plugin.name() + ": a gateway reads it to check the plugin before loading it");
        Set<String> names = new HashSet<>();
        Consumer<String> unique = name -> {
            assertFalse(name == null || name.isBlank(), "a factory has no name");
            assertTrue(names.add(name), "two factories are named '" + name + "'");
        };
        plugin.sourceFactories().forEach(f -> unique.accept("source " + f.name()));
        plugin.engineFactories().forEach(f -> unique.accept("engine " + f.name()));
        plugin.sinkFactories().forEach(f -> unique.accept("sink " + f.name()));
        plugin.sessionHookFactories().forEach(f -> unique.accept("hook " + f.name()));
        assertFalse(names.isEmpty(), "the plugin provides nothing");
    }

    @Test
    void startAndStopReturnWithinTheTimeLimit() throws Exception {
        Plugin plugin = load();
        Path home = Files.createTempDirectory("earshot-conformance");
        TestPluginContext context = TestPluginContext.plugin(plugin.name(), Map.of(), home);
        Watchdog.run(hookTimeLimit(), "plugin '" + plugin.name() + "' start", () -> plugin.start(context));
        Watchdog.run(hookTimeLimit(), "plugin '" + plugin.name() + "' stop", plugin::stop);
    }

    private static String declaredName(Plugin plugin) {
        try (var in = plugin.getClass().getResourceAsStream("earshot-plugin.properties")) {
            if (in == null) {
                return null;
            }
            Properties properties = new Properties();
            properties.load(in);
            return properties.getProperty("name");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
