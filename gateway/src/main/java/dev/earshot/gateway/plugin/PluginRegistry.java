package dev.earshot.gateway.plugin;

import dev.earshot.spi.Plugin;
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
 * The plugins the gateway found through {@link ServiceLoader}, indexed by the component types they provide.
 * Immutable after construction; thread-safe.
 */
public final class PluginRegistry {

    /** A factory with the plugin that provided it. */
    public record Provided<F>(F factory, LoadedPlugin plugin) {
    }

    private final Map<String, LoadedPlugin> plugins;
    private final Map<ComponentKind, Map<String, Provided<?>>> factories;

    private PluginRegistry(Map<String, LoadedPlugin> plugins, Map<ComponentKind, Map<String, Provided<?>>> factories) {
        this.plugins = plugins;
        this.factories = factories;
    }

    /** Loads every plugin visible to the class loader. */
    public static PluginRegistry load(ClassLoader classLoader) {
        List<Plugin> found = new ArrayList<>();
        ServiceLoader.load(Plugin.class, classLoader).forEach(found::add);
        return of(found);
    }

    /**
     * Indexes the given plugins.
     *
     * @throws IllegalStateException when two plugins share a name, or provide the same type of the same kind
     */
    public static PluginRegistry of(Collection<? extends Plugin> found) {
        Map<String, LoadedPlugin> plugins = new LinkedHashMap<>();
        Map<ComponentKind, Map<String, Provided<?>>> factories = new EnumMap<>(ComponentKind.class);
        for (ComponentKind kind : ComponentKind.values()) {
            factories.put(kind, new LinkedHashMap<>());
        }
        List<String> conflicts = new ArrayList<>();
        for (Plugin plugin : found) {
            String location = location(plugin);
            LoadedPlugin existing = plugins.get(plugin.name());
            if (existing != null) {
                conflicts.add("plugin name '" + plugin.name() + "' is used by " + existing.location() + " and " + location);
                continue;
            }
            Map<ComponentKind, List<Object>> byKind = new EnumMap<>(ComponentKind.class);
            byKind.put(ComponentKind.SOURCE, list(plugin.sourceFactories()));
            byKind.put(ComponentKind.ENGINE, list(plugin.engineFactories()));
            byKind.put(ComponentKind.SINK, list(plugin.sinkFactories()));
            byKind.put(ComponentKind.HOOK, list(plugin.sessionHookFactories()));
            Map<ComponentKind, List<String>> provides = new EnumMap<>(ComponentKind.class);
            byKind.forEach((kind, list) -> provides.put(kind, list.stream().map(PluginRegistry::factoryName).toList()));
            LoadedPlugin loaded = new LoadedPlugin(plugin, location, provides);
            plugins.put(plugin.name(), loaded);
            byKind.forEach((kind, list) -> {
                for (Object factory : list) {
                    String name = factoryName(factory);
                    Provided<?> clash = factories.get(kind).putIfAbsent(name, new Provided<>(factory, loaded));
                    if (clash != null) {
                        conflicts.add(kind.singular() + " type '" + name + "' is provided by plugins '"
                                + clash.plugin().name() + "' and '" + plugin.name() + "'");
                    }
                }
            });
        }
        if (!conflicts.isEmpty()) {
            throw new IllegalStateException("conflicting plugins: " + String.join("; ", conflicts));
        }
        return new PluginRegistry(Map.copyOf(plugins), factories);
    }

    public Collection<LoadedPlugin> plugins() {
        return plugins.values();
    }

    public Optional<LoadedPlugin> plugin(String name) {
        return Optional.ofNullable(plugins.get(name));
    }

    /** The factory of the given kind and type, with its plugin. */
    @SuppressWarnings("unchecked")
    public <F> Optional<Provided<F>> factory(ComponentKind kind, String type) {
        return Optional.ofNullable((Provided<F>) factories.get(kind).get(type));
    }

    /** Sorted type names of a kind, for messages such as "(available: file, microphone)". */
    public String available(ComponentKind kind) {
        TreeSet<String> names = new TreeSet<>(factories.get(kind).keySet());
        return names.isEmpty() ? "none installed" : String.join(", ", names);
    }

    private static List<Object> list(Iterable<?> iterable) {
        List<Object> list = new ArrayList<>();
        iterable.forEach(list::add);
        return list;
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
