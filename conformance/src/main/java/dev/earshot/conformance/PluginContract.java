package dev.earshot.conformance;

import dev.earshot.spi.Plugin;
import dev.earshot.spi.PluginConfig;
import dev.earshot.spi.PluginOption;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@link Plugin} entry point's contract: found by {@link ServiceLoader} (listed in
 * {@code META-INF/services/dev.earshot.spi.Plugin}), a name, a version, factories with unique non-blank names,
 * declared options that are valid (each default parses as its declared type, no name twice, a description for users),
 * and start/stop hooks that return within the host's hook time limit.
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
    void declaredOptionsAreValid() {
        Plugin plugin = load();
        List<String> problems = new ArrayList<>();
        plugin.sourceFactories().forEach(f -> checkOptions("source " + f.name(), f::options, problems));
        plugin.engineFactories().forEach(f -> checkOptions("engine " + f.name(), f::options, problems));
        plugin.sinkFactories().forEach(f -> checkOptions("sink " + f.name(), f::options, problems));
        plugin.sessionHookFactories().forEach(f -> checkOptions("hook " + f.name(), f::options, problems));
        assertEquals(List.of(), problems, "declared options");
    }

    private static void checkOptions(String factory, Supplier<List<PluginOption>> options,
                                     List<String> problems) {
        List<PluginOption> declared;
        try {
            declared = options.get();
            new PluginConfig("earshot.check", Map.of(), declared);
        } catch (RuntimeException e) {
            problems.add(factory + ": " + e.getMessage());
            return;
        }
        if (declared == null) {
            problems.add(factory + ": options() returned null; return List.of() to declare none");
            return;
        }
        for (PluginOption option : declared) {
            if (option.description().isBlank()) {
                problems.add(factory + ": option '" + option.name() + "' has no description");
            }
            if (option.defaultValue() != null && !option.accepts(option.defaultValue())) {
                problems.add(factory + ": option '" + option.name() + "': default '" + option.defaultValue()
                        + "' is not " + option.expected());
            }
        }
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
