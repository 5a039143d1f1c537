package dev.earshot.gateway.settings;

import dev.earshot.gateway.plugin.ComponentKind;
import dev.earshot.gateway.plugin.LoadedPlugin;

import java.util.Map;

/**
 * A component instance resolved against the installed plugins: its id, the factory that makes it and the options
 * meant for the plugin (host keys such as {@code type} removed).
 */
public record ComponentSpec(ComponentKind kind, String id, String type, Object factory, LoadedPlugin plugin,
                            Map<String, String> pluginOptions, Map<String, String> hostOptions) {

    /** The configuration prefix of this instance, e.g. {@code earshot.sinks.transcripts}. */
    public String prefix() {
        return kind.prefix(id);
    }

    public String describe() {
        return kind.singular() + " '" + id + "'" + (id.equals(type) ? "" : " (type " + type + ")");
    }
}
