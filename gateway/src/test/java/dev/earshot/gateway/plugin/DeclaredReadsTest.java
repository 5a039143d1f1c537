package dev.earshot.gateway.plugin;

import dev.earshot.spi.PluginConfig;
import dev.earshot.spi.PluginOption;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every option key a built-in plugin's sources read through {@code PluginConfig} (a string literal passed to a getter
 * or to the plugins' {@code positive}/{@code size} helpers) is declared by one of that plugin's factories, a key read
 * with {@code require} is declared required, and a literal default in the getter call equals the declared default.
 * The plugins' own tests check the same at run time ({@code PluginConfig.undeclaredReads()}) where they create a
 * component with every option.
 */
class DeclaredReadsTest {

    private static final Path PLUGINS = Path.of("..", "plugins").toAbsolutePath().normalize();
    /** config.getInt("qos", 1, ...), config.get("device"), positive(config, "timeout", Duration.ofSeconds(10)). */
    private static final Pattern READ = Pattern.compile("(?:config(?:\\(\\))?\\.(get|getString|getInt|getLong|getBytes"
            + "|getBoolean|getDuration|getChoice|require)\\(|\\b(positive|size)\\(config, )\"([a-zA-Z0-9.-]+)\""
            + "(?:,\\s*([^,()]+(?:\\([^()]*\\))?))?");
    private static final Pattern DURATION = Pattern.compile("Duration\\.of(Millis|Seconds|Minutes)\\((\\d[\\d_]*)\\)");

    @Test
    void everyKeyReadIsDeclaredWithTheDefaultItIsReadWith() throws IOException {
        PluginRegistry registry = PluginRegistry.load(getClass().getClassLoader());
        List<String> problems = new ArrayList<>();
        int reads = 0;
        for (LoadedPlugin plugin : registry.plugins()) {
            Map<String, List<PluginOption>> declared = new TreeMap<>();
            plugin.options().values().forEach(byType -> byType.values().forEach(options -> options.forEach(
                    option -> declared.computeIfAbsent(option.name(), name -> new ArrayList<>()).add(option))));
            Path sources = PLUGINS.resolve(plugin.name()).resolve("src/main/java");
            assertTrue(Files.isDirectory(sources), "no sources for plugin '" + plugin.name() + "' at " + sources);
            List<Path> files;
            try (Stream<Path> walk = Files.walk(sources)) {
                files = walk.filter(p -> p.toString().endsWith(".java")).sorted().toList();
            }
            for (Path file : files) {
                Matcher read = READ.matcher(Files.readString(file));
                while (read.find()) {
                    reads++;
                    String method = read.group(1) != null ? read.group(1) : read.group(2);
                    String key = read.group(3);
                    String where = plugin.name() + " " + file.getFileName() + ": " + key;
                    List<PluginOption> options = declared.getOrDefault(key, List.of());
                    if (options.isEmpty()) {
                        problems.add(where + " is read but declared by no factory of the plugin");
                    } else if (method.equals("require") && options.stream().noneMatch(PluginOption::required)) {
                        problems.add(where + " is read with require() but not declared required");
                    } else if (read.group(4) != null) {
                        String literal = read.group(4).trim();
                        if (options.stream().noneMatch(option -> sameDefault(option, literal))) {
                            problems.add(where + " is read with the default " + literal + " but declared with "
                                    + options.stream().map(PluginOption::defaultValue).toList());
                        }
                    }
                }
            }
        }
        assertTrue(reads > 50, "the pattern finds the plugins' reads (found " + reads + ")");
        assertEquals(List.of(), problems, "reads of undeclared options, or with other defaults than declared");
    }

    /** True when the literal default of a getter call equals the declared default; non-literal defaults pass. */
    private static boolean sameDefault(PluginOption option, String literal) {
        String declared = option.defaultValue();
        Matcher duration = DURATION.matcher(literal);
        if (duration.matches()) {
            long amount = Long.parseLong(duration.group(2).replace("_", ""));
            Duration expected = switch (duration.group(1)) {
                case "Millis" -> Duration.ofMillis(amount);
                case "Seconds" -> Duration.ofSeconds(amount);
                default -> Duration.ofMinutes(amount);
            };
            return declared != null && expected.equals(parse(option, declared).getDuration("v", null));
        }
        if (literal.matches("-?\\d[\\d_]*")) {
            long expected = Long.parseLong(literal.replace("_", ""));
            return declared != null && (option.type() == PluginOption.Type.SIZE
                    ? expected == parse(option, declared).getBytes("v", -1)
                    : expected == parse(option, declared).getLong("v", 0, Long.MIN_VALUE, Long.MAX_VALUE));
        }
        if (literal.equals("true") || literal.equals("false")) {
            return literal.equals(declared);
        }
        if (literal.matches("\"[^\"]*\"")) {
            String text = literal.substring(1, literal.length() - 1);
            if (text.isEmpty()) {
                // getString(key, "") re-reads the raw text of a number or duration for a message; for text, "" is unset
                return declared == null || declared.isEmpty() || option.type() != PluginOption.Type.STRING;
            }
            return text.equals(declared);
        }
        return true;
    }

    private static PluginConfig parse(PluginOption option, String value) {
        return new PluginConfig("declared." + option.name(), Map.of("v", value));
    }
}
