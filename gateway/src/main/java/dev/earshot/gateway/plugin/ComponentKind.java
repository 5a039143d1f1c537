package dev.earshot.gateway.plugin;

import java.util.Locale;

/** The kinds of component a plugin can provide, with the configuration section each is declared in. */
public enum ComponentKind {
    SOURCE("source", "sources"),
    ENGINE("engine", "engines"),
    SINK("sink", "sinks"),
    HOOK("hook", "hooks");

    private final String singular;
    private final String section;

    ComponentKind(String singular, String section) {
        this.singular = singular;
        this.section = section;
    }

    /** {@code "engine"}: for messages. */
    public String singular() {
        return singular;
    }

    /** {@code "engines"}: the configuration section, as in {@code earshot.engines.<id>.*}. */
    public String section() {
        return section;
    }

    public String prefix(String id) {
        return "earshot." + section + "." + id;
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
