package dev.earshot.gateway.plugin;

import dev.earshot.spi.Plugin;

import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import static java.util.Objects.requireNonNull;

/** A plugin found on the class path, with what it provides and where it is in its lifecycle. */
public final class LoadedPlugin {

    public enum State { LOADED, STARTED, FAILED, STOPPED }

    private final Plugin plugin;
    private final String location;
    private final Map<ComponentKind, List<String>> provides;
    private final AtomicReference<State> state = new AtomicReference<>(State.LOADED);
    private volatile String failure;

    LoadedPlugin(Plugin plugin, String location, Map<ComponentKind, List<String>> provides) {
        this.plugin = requireNonNull(plugin, "plugin is null");
        this.location = requireNonNull(location, "location is null");
        this.provides = Map.copyOf(provides);
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

    /** Jar or folder the plugin was loaded from. */
    public String location() {
        return location;
    }

    public Map<ComponentKind, List<String>> provides() {
        return provides;
    }

    public State state() {
        return state.get();
    }

    /** Why the plugin failed, or null. */
    public String failure() {
        return failure;
    }

    public void markStarted() {
        state.set(State.STARTED);
    }

    public void markFailed(String reason) {
        failure = reason;
        state.set(State.FAILED);
    }

    public void markStopped() {
        state.set(State.STOPPED);
    }
}
