package dev.earshot.gateway.plugin;

import dev.earshot.spi.PluginOption;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Writes {@code docs/configuration.md}, the configuration reference of the built-in plugins, from the options their
 * factories declare ({@link PluginOption}). {@link ConfigurationReferenceTest} fails when the committed file differs
 * from what this generates; it also rewrites the file when run with {@code -Dearshot.docs.write=true}.
 */
public final class ConfigurationReference {

    /** The command that regenerates the committed reference, for the test's failure message. */
    static final String COMMAND = "mvn -B -ntp -pl gateway -am test -Dtest=ConfigurationReferenceTest"
            + " -Dsurefire.failIfNoSpecifiedTests=false -Dearshot.docs.write=true";

    private ConfigurationReference() {
    }

    /** Writes the reference of the plugins on the class path to the given file (default: docs/configuration.md). */
    public static void main(String[] args) throws IOException {
        Path target = Path.of(args.length > 0 ? args[0] : "docs/configuration.md");
        Files.writeString(target, generate(PluginRegistry.load(ConfigurationReference.class.getClassLoader())),
                StandardCharsets.UTF_8);
        System.out.println("wrote " + target.toAbsolutePath());
    }

    /** The reference of the registry's plugins, sorted by plugin, kind and type; options in declaration order. */
    static String generate(PluginRegistry registry) {
        StringBuilder out = new StringBuilder();
        out.append("""
                # Configuration reference

                <!-- Generated from the options the built-in plugins declare; do not edit by hand.
                     Regenerate: %s -->

                Every component is configured under its prefix: `earshot.sources.<id>.*`, `earshot.engines.<id>.*`,
                `earshot.sinks.<id>.*` or `earshot.hooks.<id>.*`, where `type` names one of the types below (it may be left
                out when the id is the type's name). The gateway checks these settings against the declared options before
                it creates the component, at start-up and whenever a pipeline is started: a value of the wrong type, a
                missing required option and an unknown key (with the closest declared one) are reported with the full key.
                Values of secret options never appear in messages, logs or API answers. `GET /api/plugins/<name>` lists the
                same options for every installed plugin, third-party ones included.

                Value formats: durations `250ms`, `5s`, `2m`, `1h` or ISO-8601 (`PT0.5S`); sizes `512`, `64K`, `10M`, `1G`;
                booleans `true`/`false` (also `yes`/`no`, `on`/`off`); choices are compared without regard to case; a
                `map` option is a family of keys `name.<key>`. Relative paths resolve against the gateway's home folder.
                Sinks also take the gateway's own delivery keys (`queue-size`, `retries`, `retry-delay`, `max-retry-delay`,
                `spool-size`, `spool-full`): see [sinks.md](sinks.md).
                """.formatted(COMMAND));
        List<LoadedPlugin> plugins = registry.plugins().stream().sorted(Comparator.comparing(LoadedPlugin::name)).toList();
        for (LoadedPlugin plugin : plugins) {
            out.append("\n## Plugin `").append(plugin.name()).append("`\n");
            for (ComponentKind kind : ComponentKind.values()) {
                Map<String, List<PluginOption>> byType = plugin.options().getOrDefault(kind, Map.of());
                byType.keySet().stream().sorted().forEach(type -> table(out, kind, type, byType.get(type)));
            }
        }
        return out.toString();
    }

    private static void table(StringBuilder out, ComponentKind kind, String type, List<PluginOption> options) {
        String singular = kind.singular();
        out.append("\n### ").append(Character.toUpperCase(singular.charAt(0))).append(singular.substring(1))
                .append(" `").append(type).append("` (`").append(kind.prefix("<id>")).append(".type=").append(type)
                .append("`)\n\n");
        if (options.isEmpty()) {
            out.append("Declares no options.\n");
            return;
        }
        out.append("| key | type | default | required | allowed values | description |\n");
        out.append("| --- | --- | --- | --- | --- | --- |\n");
        for (PluginOption option : options) {
            String defaultValue = option.secret() ? "*secret*"
                    : option.defaultValue() == null ? "" : option.defaultValue().isEmpty() ? "(empty)" : code(option.defaultValue());
            out.append("| ").append(code(option.displayName()))
                    .append(" | ").append(option.type().label())
                    .append(" | ").append(defaultValue)
                    .append(" | ").append(option.required() ? "yes" : "")
                    .append(" | ").append(String.join(", ", option.allowedValues().stream().map(ConfigurationReference::code).toList()))
                    .append(" | ").append(text(option.description()))
                    .append(" |\n");
        }
    }

    private static String code(String value) {
        return "`" + value.replace("|", "\\|") + "`";
    }

    /** Description text in a table cell: pipes escaped, angle brackets shown as written. */
    private static String text(String value) {
        return value.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;");
    }
}
