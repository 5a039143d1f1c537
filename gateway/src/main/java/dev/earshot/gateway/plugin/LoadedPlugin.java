package dev.earshot.gateway.plugin;

import dev.earshot.spi.Plugin;
import dev.earshot.spi.PluginOption;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

import static java.util.Objects.requireNonNull;

/**
 * A plugin the gateway knows: built in (on the gateway's class path) or installed (a jar in the plugins folder with
 * a class loader of its own), with what it provides and where it is in its lifecycle.
 */
public final class LoadedPlugin {

    public enum State { LOADED, STARTED, FAILED, STOPPED }

    private final Plugin plugin;
    private final String location;
    private final String spiVersion;
    private final Map<ComponentKind, List<String>> provides;
    private final Map<ComponentKind, List<Object>> factories;
    private final Map<ComponentKind, Map<String, List<PluginOption>>> options;
    private final PluginClassLoader classLoader;
    private final AtomicReference<State> state = new AtomicReference<>(State.LOADED);
    private volatile String failure;

    LoadedPlugin(Plugin plugin, String location, String spiVersion, Map<ComponentKind, List<String>> provides,
                 Map<ComponentKind, List<Object>> factories, Map<ComponentKind, Map<String, List<PluginOption>>> options,
                 PluginClassLoader classLoader) {
        this.plugin = requireNonNull(plugin, "plugin is null");
        this.location = requireNonNull(location, "location is null");
        this.spiVersion = requireNonNull(spiVersion, "spiVersion is null");
        this.provides = Map.copyOf(provides);
        this.factories = Map.copyOf(factories);
        Map<ComponentKind, Map<String, List<PluginOption>>> copy = new EnumMap<>(ComponentKind.class);
        options.forEach((kind, byType) -> copy.put(kind, Collections.unmodifiableMap(new LinkedHashMap<>(byType))));
        this.options = Collections.unmodifiableMap(copy);
        this.classLoader = classLoader;
    }

    public Plugin plugin() {
        return plugin;
    }

    public String name() {
        return plugin.name();
    }

    public String version() {
        return plugin.version();
    }

    /** The SPI version the plugin was built against ({@code spi-version} in its metadata), or "unknown". */
    public String spiVersion() {
        return spiVersion;
    }

    /** Jar or folder the plugin was loaded from. */
    public String location() {
        return location;
    }

    /** True for a plugin installed into the plugins folder (own class loader), false for a built-in one. */
    public boolean installed() {
        return classLoader != null;
    }

    /** The installed jar, or empty for a built-in plugin. */
    public Optional<Path> jar() {
        return classLoader == null ? Optional.empty() : Optional.of(classLoader.jar());
    }

    /** The plugin's own class loader, or null for a built-in plugin. */
    ClassLoader classLoader() {
        return classLoader;
    }

    public Map<ComponentKind, List<String>> provides() {
        return provides;
    }

    /** The factories the plugin listed when it was loaded (listed once, so that a plugin's code runs where bounded). */
    Map<ComponentKind, List<Object>> factories() {
        return factories;
    }

    /**
     * The options each factory declares, by kind and type (asked once when the plugin was loaded); a factory that
     * declares none has an empty list.
     */
    public Map<ComponentKind, Map<String, List<PluginOption>>> options() {
        return options;
    }

    /** The options the factory of that kind and type declares; empty when it declares none (or is not provided). */
    public List<PluginOption> options(ComponentKind kind, String type) {
        return options.getOrDefault(kind, Map.of()).getOrDefault(type, List.of());
    }

    /** True when the plugin provides a component of that kind and type. */
    public boolean provides(ComponentKind kind, String type) {
        return provides.getOrDefault(kind, List.of()).contains(type);
    }

    public State state() {
        return state.get();
    }

    /** Why the plugin failed (a hook that threw or overran), or null. */
    public String failure() {
        return failure;
    }

    public void markStarted() {
        failure = null;
        state.set(State.STARTED);
    }

    /** The plugin's own start or stop hook failed: none of its components can be used. */
    public void markFailed(String reason) {
        failure = reason;
        state.set(State.FAILED);
    }

    /** One of the plugin's components failed in a hook (e.g. a session hook overran); the plugin itself stays up. */
    public void recordFailure(String reason) {
        failure = reason;
    }

    public void markStopped() {
        state.set(State.STOPPED);
    }

    /** Closes the plugin's class loader (installed plugins only): after this, none of its classes can load. */
    void closeClassLoader() throws IOException {
        if (classLoader != null) {
            classLoader.close();
        }
    }
}
