package dev.earshot.gateway;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The module rules of docs/ARCHITECTURE.md that a compiler does not enforce, read from the source tree: plugins are
 * found, never imported; everything under {@code plugins/} is a plugin; the pipeline core imports no Quarkus; the
 * core packages import only packages below them.
 */
class ModuleRulesTest {

    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Pattern PLUGIN_IMPORT = Pattern.compile("(?m)^import\\s+(static\\s+)?dev\\.earshot\\.plugins\\.");
    /** The core packages, lowest first: each may import only the ones before it (a callback goes through an interface). */
    private static final List<String> LAYERS =
            List.of("audio", "plugin", "settings", "delivery", "session", "pipeline", "runtime");
    private static final Pattern GATEWAY_IMPORT =
            Pattern.compile("(?m)^import\\s+(?:static\\s+)?dev\\.earshot\\.gateway\\.(\\w+)\\.[\\w.*]+;");
    private static final Pattern QUARKUS_IMPORT = Pattern.compile("(?m)^import\\s+(static\\s+)?(io\\.quarkus|jakarta)\\.");

    @Test
    void theGatewayImportsNoPlugin() throws IOException {
        List<String> offenders = sourcesMatching(ROOT.resolve("gateway/src/main/java"), PLUGIN_IMPORT);
        assertEquals(List.of(), offenders, "the gateway finds plugins through ServiceLoader and never imports them");
    }

    @Test
    void everyModuleUnderPluginsIsAPlugin() throws IOException {
        List<Path> modules;
        try (Stream<Path> dirs = Files.list(ROOT.resolve("plugins"))) {
            modules = dirs.filter(d -> Files.isRegularFile(d.resolve("pom.xml"))).sorted().toList();
        }
        assertFalse(modules.isEmpty(), "no module found under " + ROOT.resolve("plugins"));
        for (Path module : modules) {
            Path services = module.resolve("src/main/resources/META-INF/services/dev.earshot.spi.Plugin");
            assertTrue(Files.isRegularFile(services), module + " has no " + ROOT.relativize(services)
                    + ": a module under plugins/ must be a plugin; a library belongs under libs/");
            assertFalse(Files.readString(services).strip().isEmpty(), services + " is empty");
            assertTrue(Files.isRegularFile(module.resolve("README.md")), module + " has no README.md");
        }
    }

    @Test
    void thePipelineCoreImportsNoQuarkus() throws IOException {
        List<String> offenders = new ArrayList<>();
        for (String pkg : List.of("runtime", "pipeline", "session", "delivery", "settings", "plugin", "audio")) {
            offenders.addAll(sourcesMatching(ROOT.resolve("gateway/src/main/java/dev/earshot/gateway/" + pkg),
                    QUARKUS_IMPORT));
        }
        assertEquals(List.of(), offenders, "the pipeline core runs without Quarkus (docs/ARCHITECTURE.md)");
    }

    @Test
    void eachCorePackageImportsOnlyLowerLayers() throws IOException {
        List<String> offenders = new ArrayList<>();
        for (int layer = 0; layer < LAYERS.size(); layer++) {
            Path dir = ROOT.resolve("gateway/src/main/java/dev/earshot/gateway/" + LAYERS.get(layer));
            assertTrue(Files.isDirectory(dir), dir + " is not a directory");
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path file : files.filter(f -> f.toString().endsWith(".java")).sorted().toList()) {
                    var imports = GATEWAY_IMPORT.matcher(Files.readString(file));
                    while (imports.find()) {
                        int target = LAYERS.indexOf(imports.group(1));
                        if (target > layer) {
                            offenders.add(ROOT.relativize(file) + ": " + imports.group().strip());
                        }
                    }
                }
            }
        }
        assertEquals(List.of(), offenders, "layers, lowest first: " + String.join(" < ", LAYERS)
                + "; a package imports only lower ones and calls back up through an interface it owns");
    }

    private static List<String> sourcesMatching(Path dir, Pattern pattern) throws IOException {
        assertTrue(Files.isDirectory(dir), dir + " is not a directory");
        List<String> hits = new ArrayList<>();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).sorted().toList()) {
                if (pattern.matcher(Files.readString(file)).find()) {
                    hits.add(ROOT.relativize(file).toString());
                }
            }
        }
        return hits;
    }
}
