package dev.earshot.gateway.plugin;

import dev.earshot.spi.Plugin;
import dev.earshot.spi.PluginConfig;
import dev.earshot.spi.PluginOption;
import dev.earshot.spi.SpiVersion;
import dev.earshot.spi.engine.SpeechEngineFactory;
import dev.earshot.spi.hook.SessionHookFactory;
import dev.earshot.spi.sink.TranscriptSinkFactory;
import dev.earshot.spi.source.CaptureSourceFactory;

import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.TreeSet;

/**
 * The plugins the gateway knows, indexed by the component types they provide: the built-in ones found through
 * {@link ServiceLoader} on the gateway's class path, and those installed from jars while it runs. Reads see a
 * consistent snapshot; {@link #add} and {@link #remove} are atomic. Thread-safe.
 */
public final class PluginRegistry {

    /** A factory with the plugin that provided it. */
    public record Provided<F>(F factory, LoadedPlugin plugin) {
    }

    private record Snapshot(Map<String, LoadedPlugin> plugins, Map<ComponentKind, Map<String, Provided<?>>> factories) {
    }

    private volatile Snapshot snapshot;

    private PluginRegistry(Snapshot snapshot) {
        this.snapshot = snapshot;
    }

    /** Loads every plugin visible to the class loader (the built-in plugins). */
    public static PluginRegistry load(ClassLoader classLoader) {
        List<Plugin> found = new ArrayList<>();
        ServiceLoader.load(Plugin.class, classLoader).forEach(found::add);
        return of(found);
    }

    /**
     * Indexes the given (built-in) plugins.
     *
     * @throws IllegalStateException when two plugins share a name, provide the same type of the same kind, were
     *                               built against another major version of the SPI, or declare invalid options
     */
    public static PluginRegistry of(Collection<? extends Plugin> found) {
        PluginRegistry registry = new PluginRegistry(new Snapshot(Map.of(), emptyFactories()));
        List<String> conflicts = new ArrayList<>();
        for (Plugin plugin : found) {
            try {
                registry.add(describe(plugin, location(plugin), null));
            } catch (PluginInstallException e) {
                conflicts.add(e.getMessage());
            }
        }
        if (!conflicts.isEmpty()) {
            throw new IllegalStateException("conflicting or invalid plugins: " + String.join("; ", conflicts));
        }
        return registry;
    }

    /**
     * Describes a plugin: its metadata and what it provides. Checks its SPI version: a plugin without one is accepted
     * only when built in (on the gateway's class path, built with it).
     */
    static LoadedPlugin describe(Plugin plugin, String location, PluginClassLoader loader) throws PluginInstallException {
        Optional<String> spiVersion = SpiVersion.of(plugin.getClass());
        if (spiVersion.isEmpty() && loader != null) {
            throw new PluginInstallException(PluginInstallException.Reason.INVALID, "plugin '" + plugin.name()
                    + "' (" + location + ") does not say which SPI version it was built against: add spi-version=<version>"
                    + " to its earshot-plugin.properties beside " + plugin.getClass().getName());
        }
        if (spiVersion.isPresent() && !SpiVersion.compatible(spiVersion.get())) {
            throw new PluginInstallException(PluginInstallException.Reason.INVALID, "plugin '" + plugin.name() + "' ("
                    + location + ") was built against SPI " + spiVersion.get() + ", but this gateway runs SPI "
                    + SpiVersion.CURRENT + ": a different major version; rebuild the plugin against earshot-spi "
                    + SpiVersion.CURRENT);
        }
        Map<ComponentKind, List<Object>> factories = new EnumMap<>(ComponentKind.class);
        factories.put(ComponentKind.SOURCE, list(plugin.sourceFactories()));
        factories.put(ComponentKind.ENGINE, list(plugin.engineFactories()));
        factories.put(ComponentKind.SINK, list(plugin.sinkFactories()));
        factories.put(ComponentKind.HOOK, list(plugin.sessionHookFactories()));
        Map<ComponentKind, List<String>> provides = new EnumMap<>(ComponentKind.class);
        factories.forEach((kind, list) -> provides.put(kind, list.stream().map(PluginRegistry::factoryName).toList()));
        Map<ComponentKind, Map<String, List<PluginOption>>> options = new EnumMap<>(ComponentKind.class);
        for (Map.Entry<ComponentKind, List<Object>> entry : factories.entrySet()) {
            Map<String, List<PluginOption>> byType = new LinkedHashMap<>();
            for (Object factory : entry.getValue()) {
                byType.put(factoryName(factory), declaredOptions(plugin, entry.getKey(), factory));
            }
            options.put(entry.getKey(), byType);
        }
        return new LoadedPlugin(plugin, location, spiVersion.orElse("unknown"), provides, factories, options, loader);
    }

    /**
     * Adds a plugin.
     *
     * @throws PluginInstallException (CONFLICT) when its name or one of its types is taken by another plugin
     */
    public synchronized void add(LoadedPlugin loaded) throws PluginInstallException {
        Snapshot current = snapshot;
        LoadedPlugin existing = current.plugins().get(loaded.name());
        if (existing != null) {
            throw new PluginInstallException(PluginInstallException.Reason.CONFLICT, "plugin name '" + loaded.name()
                    + "' is used by " + existing.location() + " and " + loaded.location());
        }
        List<String> clashes = new ArrayList<>();
        Map<ComponentKind, Map<String, Provided<?>>> factories = copy(current.factories());
        loaded.factories().forEach((kind, list) -> {
            for (Object factory : list) {
                String name = factoryName(factory);
                Provided<?> clash = factories.get(kind).putIfAbsent(name, new Provided<>(factory, loaded));
                if (clash != null) {
                    clashes.add(kind.singular() + " type '" + name + "' is provided by plugins '"
                            + clash.plugin().name() + "' and '" + loaded.name() + "'");
                }
            }
        });
        if (!clashes.isEmpty()) {
            throw new PluginInstallException(PluginInstallException.Reason.CONFLICT, String.join("; ", clashes));
        }
        Map<String, LoadedPlugin> plugins = new LinkedHashMap<>(current.plugins());
        plugins.put(loaded.name(), loaded);
        snapshot = new Snapshot(plugins, factories);
    }

    /** Removes a plugin and its types; returns it, or empty when there is none of that name. */
    public synchronized Optional<LoadedPlugin> remove(String name) {
        Snapshot current = snapshot;
        LoadedPlugin removed = current.plugins().get(name);
        if (removed == null) {
            return Optional.empty();
        }
        Map<String, LoadedPlugin> plugins = new LinkedHashMap<>(current.plugins());
        plugins.remove(name);
        Map<ComponentKind, Map<String, Provided<?>>> factories = copy(current.factories());
        factories.values().forEach(byType -> byType.values().removeIf(p -> p.plugin() == removed));
        snapshot = new Snapshot(plugins, factories);
        return Optional.of(removed);
    }

    public Collection<LoadedPlugin> plugins() {
        return List.copyOf(snapshot.plugins().values());
    }

    public Optional<LoadedPlugin> plugin(String name) {
        return Optional.ofNullable(snapshot.plugins().get(name));
    }

    /** The factory of the given kind and type, with its plugin. */
    @SuppressWarnings("unchecked")
    public <F> Optional<Provided<F>> factory(ComponentKind kind, String type) {
        return Optional.ofNullable((Provided<F>) snapshot.factories().get(kind).get(type));
    }

    /** Sorted type names of a kind, for messages such as "(available: file, microphone)". */
    public String available(ComponentKind kind) {
        TreeSet<String> names = new TreeSet<>(snapshot.factories().get(kind).keySet());
        return names.isEmpty() ? "none installed" : String.join(", ", names);
    }

    /** Sorted plugin names with versions, for messages: "file 0.1.0, vosk 0.1.0". */
    public String installed() {
        TreeSet<String> names = new TreeSet<>();
        snapshot.plugins().values().forEach(p -> names.add(p.name() + " " + p.version()));
        return String.join(", ", names);
    }

    private static Map<ComponentKind, Map<String, Provided<?>>> emptyFactories() {
        Map<ComponentKind, Map<String, Provided<?>>> factories = new EnumMap<>(ComponentKind.class);
        for (ComponentKind kind : ComponentKind.values()) {
            factories.put(kind, Map.of());
        }
        return factories;
    }

    private static Map<ComponentKind, Map<String, Provided<?>>> copy(Map<ComponentKind, Map<String, Provided<?>>> from) {
        Map<ComponentKind, Map<String, Provided<?>>> copy = new EnumMap<>(ComponentKind.class);
        from.forEach((kind, byType) -> copy.put(kind, new LinkedHashMap<>(byType)));
        return copy;
    }

    private static List<Object> list(Iterable<?> iterable) {
        List<Object> list = new ArrayList<>();
        iterable.forEach(list::add);
        return list;
    }

    /**
     * The options a factory declares, asked once here (where loading a plugin is bounded) and checked: a list, each
     * option valid (its default of its type, see {@link PluginOption}) and no name declared twice.
     */
    private static List<PluginOption> declaredOptions(Plugin plugin, ComponentKind kind, Object factory)
            throws PluginInstallException {
        String what = kind.singular() + " type '" + factoryName(factory) + "' of plugin '" + plugin.name() + "'";
        try {
            List<PluginOption> options = switch (kind) {
                case SOURCE -> ((CaptureSourceFactory) factory).options();
                case ENGINE -> ((SpeechEngineFactory) factory).options();
                case SINK -> ((TranscriptSinkFactory) factory).options();
                case HOOK -> ((SessionHookFactory) factory).options();
            };
            if (options == null) {
                throw new IllegalArgumentException("options() returned null instead of a list");
            }
            return new PluginConfig(kind.prefix("options-check"), Map.of(), options).options();
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new PluginInstallException(PluginInstallException.Reason.INVALID, "the declared options of " + what
                    + " are not valid: " + e.getMessage() + "; fix the declaration in its options()", e);
        }
    }

    private static String factoryName(Object factory) {
        if (factory instanceof CaptureSourceFactory f) {
            return f.name();
        } else if (factory instanceof SpeechEngineFactory f) {
            return f.name();
        } else if (factory instanceof TranscriptSinkFactory f) {
            return f.name();
        } else if (factory instanceof SessionHookFactory f) {
            return f.name();
        }
        throw new IllegalArgumentException("not a factory: " + factory);
    }

    private static String location(Plugin plugin) {
        var source = plugin.getClass().getProtectionDomain().getCodeSource();
        return source == null || source.getLocation() == null ? "built in" : source.getLocation().toString();
    }
}
