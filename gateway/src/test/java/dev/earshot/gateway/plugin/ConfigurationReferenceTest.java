package dev.earshot.gateway.plugin;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The committed configuration reference ({@code docs/configuration.md}) is what the built-in plugins declare: it is
 * generated again into {@code target/} and compared; with {@code -Dearshot.docs.write=true} the committed file is
 * rewritten instead.
 */
class ConfigurationReferenceTest {

    private static final Path COMMITTED = Path.of("..", "docs", "configuration.md");
    private static final Path GENERATED = Path.of("target", "configuration.md");

    private final PluginRegistry registry = PluginRegistry.load(getClass().getClassLoader());

    @Test
    void everyBuiltInFactoryDeclaresItsOptions() {
        assertEquals(List.of("exec", "file", "microphone", "mqtt", "vosk", "webhook", "wyoming"),
                registry.plugins().stream().map(LoadedPlugin::name).sorted().toList(), "the built-in plugins");
        List<String> undeclared = new ArrayList<>();
        for (LoadedPlugin plugin : registry.plugins()) {
            plugin.options().forEach((kind, byType) -> byType.forEach((type, options) -> {
                if (options.isEmpty()) {
                    undeclared.add(plugin.name() + ": " + kind.singular() + " " + type);
                }
            }));
        }
        assertEquals(List.of(), undeclared, "factories of built-in plugins that declare no options");
    }

    @Test
    void committedReferenceEqualsTheGeneratedOne() throws IOException {
        String generated = ConfigurationReference.generate(registry);
        Files.createDirectories(GENERATED.getParent());
        Files.writeString(GENERATED, generated, StandardCharsets.UTF_8);
        if (Boolean.getBoolean("earshot.docs.write")) {
            Files.writeString(COMMITTED, generated, StandardCharsets.UTF_8);
        }
        assertTrue(Files.isRegularFile(COMMITTED), COMMITTED.toAbsolutePath() + " is missing; generate it with: "
                + ConfigurationReference.COMMAND);
        String committed = Files.readString(COMMITTED, StandardCharsets.UTF_8);
        if (!committed.equals(generated)) {
            fail("docs/configuration.md differs from the options the built-in plugins declare (generated: "
                    + GENERATED.toAbsolutePath() + "); regenerate it with: " + ConfigurationReference.COMMAND
                    + "\nfirst difference: " + firstDifference(committed, generated));
        }
    }

    private static String firstDifference(String committed, String generated) {
        String[] a = committed.split("\n", -1);
        String[] b = generated.split("\n", -1);
        for (int i = 0; i < Math.max(a.length, b.length); i++) {
            String left = i < a.length ? a[i] : "(end of file)";
            String right = i < b.length ? b[i] : "(end of file)";
            if (!left.equals(right)) {
                return "line " + (i + 1) + "\n  committed: " + left + "\n  generated: " + right;
            }
        }
        return "none";
    }
}
