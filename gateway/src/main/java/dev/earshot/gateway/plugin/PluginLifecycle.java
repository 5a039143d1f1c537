package dev.earshot.gateway.plugin;

import dev.earshot.spi.PluginConfig;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

import static java.util.Objects.requireNonNull;

/**
 * The plugin side of the gateway's life: the registry's plugins started (start hook) and stopped (stop hook) under
 * the hook time limit, plugins added and removed while the gateway runs, and what each plugin's contexts may see of
 * the host. What the components of a plugin need when it goes (pipelines unbound, sinks and engines closed) is the
 * runtime's part; it calls {@link #checkUninstall} first and {@link #remove} last.
 */
public final class PluginLifecycle {

    private static final System.Logger LOG = System.getLogger(PluginLifecycle.class.getName());

    private final PluginRegistry plugins;
    private final Supplier<PluginCalls> calls;
    private final Map<String, Map<String, String>> pluginSettings;
    private final Path home;
    private final Path dataDir;
    private final Map<Class<?>, Object> builtInServices;
    private final List<LoadedPlugin> startedPlugins = new CopyOnWriteArrayList<>();

    /**
     * @param calls           the runner of plugin hooks under the time limit (created when the gateway starts)
     * @param pluginSettings  per plugin name, its own settings ({@code earshot.plugins.<name>.<key>})
     * @param builtInServices what the host shares with plugins built into the gateway (see {@link #hostServices})
     */
    public PluginLifecycle(PluginRegistry plugins, Supplier<PluginCalls> calls,
                           Map<String, Map<String, String>> pluginSettings, Path home, Path dataDir,
                           Map<Class<?>, Object> builtInServices) {
        this.plugins = requireNonNull(plugins, "plugins is null");
        this.calls = requireNonNull(calls, "calls is null");
        this.pluginSettings = Map.copyOf(pluginSettings);
        this.home = requireNonNull(home, "home is null");
        this.dataDir = requireNonNull(dataDir, "dataDir is null");
        this.builtInServices = Map.copyOf(builtInServices);
    }

    /**
     * What the host shares with plugins through {@link dev.earshot.spi.PluginContext#hostService}: the gateway's
     * Vert.x for built-in plugins. Installed plugins get nothing: their class loader does not see the gateway's
     * Vert.x classes, and a plugin that could register handlers on the gateway's event loops would keep its class
     * loader alive after it is uninstalled.
     */
    public Map<Class<?>, Object> hostServices(LoadedPlugin plugin) {
        return plugin.installed() ? Map.of() : builtInServices;
    }

    /** Runs the start hook of every plugin in the registry (see {@link #start}). */
    public void startAll() {
        plugins.plugins().forEach(this::start);
    }

    /**
     * Adds an installed plugin to the registry and runs its start hook. A start hook that fails leaves the plugin
     * installed and {@code failed}.
     *
     * @throws PluginInstallException when its name or one of its types is taken
     */
    public LoadedPlugin add(LoadedPlugin plugin) throws PluginInstallException {
        plugins.add(plugin);
        start(plugin);
        LOG.log(System.Logger.Level.INFO, "plugin '" + plugin.name() + "' " + plugin.version() + " installed from "
                + plugin.location() + (plugin.failure() == null ? "" : "; " + plugin.failure()));
        return plugin;
    }

    /**
     * The installed plugin that may be uninstalled under this name.
     *
     * @throws PluginInstallException when there is no such plugin, or it is built into the gateway
     */
    public LoadedPlugin checkUninstall(String name) throws PluginInstallException {
        LoadedPlugin plugin = plugins.plugin(name).orElseThrow(() -> new PluginInstallException(
                PluginInstallException.Reason.NOT_FOUND, "no plugin '" + name + "' (installed: " + plugins.installed() + ")"));
        if (!plugin.installed()) {
            throw new PluginInstallException(PluginInstallException.Reason.CONFLICT, "plugin '" + name
                    + "' is built into the gateway and cannot be uninstalled");
        }
        return plugin;
    }

    /**
     * Runs the stop hook of a plugin whose components are gone (if it was started) and removes it from the registry.
     * The caller then closes its class loader ({@link PluginFolder}).
     */
    public void remove(LoadedPlugin plugin) {
        if (startedPlugins.remove(plugin)) {
            stop(plugin);
        }
        plugins.remove(plugin.name());
    }

    /** Runs the stop hook of every started plugin. */
    public void stopAll() {
        for (LoadedPlugin plugin : startedPlugins) {
            stop(plugin);
        }
        startedPlugins.clear();
    }

    /** Runs a plugin's start hook under the time limit; a failure marks the plugin failed and is logged. */
    private void start(LoadedPlugin plugin) {
        Map<String, String> options = pluginSettings.getOrDefault(plugin.name(), Map.of());
        PluginConfig config = new PluginConfig("earshot.plugins." + plugin.name(), options);
        HostPluginContext context = new HostPluginContext("dev.earshot.plugin." + plugin.name(), plugin.name(),
                config, home, dataDir.resolve("plugins").resolve(plugin.name()), hostServices(plugin));
        try {
            calls.get().call("plugin '" + plugin.name() + "' hook start", () -> {
                plugin.plugin().start(context);
                return null;
            });
            plugin.markStarted();
            startedPlugins.add(plugin);
        } catch (PluginCalls.HookFailedException e) {
            plugin.markFailed(e.getMessage());
            LOG.log(System.Logger.Level.ERROR, e.getMessage() + "; pipelines using plugin '" + plugin.name() + "' fail");
        }
    }

    /** Runs a plugin's stop hook under the time limit; a failure is logged and shown on the plugin. */
    private void stop(LoadedPlugin plugin) {
        try {
            calls.get().call("plugin '" + plugin.name() + "' hook stop", () -> {
                plugin.plugin().stop();
                return null;
            });
            plugin.markStopped();
        } catch (PluginCalls.HookFailedException e) {
            plugin.markFailed(e.getMessage());
            LOG.log(System.Logger.Level.ERROR, e.getMessage());
        }
    }
}
