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
 * core packages import only packages below them; the SPI holds contracts only, and the libraries under {@code libs/}
 * that plugins bundle depend on the JDK and the SPI only.
 */
class ModuleRulesTest {

    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Pattern PLUGIN_IMPORT = Pattern.compile("(?m)^import\\s+(static\\s+)?dev\\.earshot\\.plugins\\.");
    /** The core packages, lowest first: each may import only the ones before it (a callback goes through an interface). */
    private static final List<String> LAYERS =
            List.of("speech", "plugin", "settings", "delivery", "session", "pipeline", "runtime");
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
            Path metadata = module.resolve("src/main/resources/META-INF/native-image/dev.earshot/earshot-plugin-" + module.getFileName());
            assertTrue(Files.isRegularFile(metadata.resolve("resource-config.json"))
                            && Files.readString(metadata.resolve("resource-config.json")).contains("META-INF/services/dev.earshot.spi.Plugin"),
                    module + " carries no native-image registration of its services file in " + ROOT.relativize(metadata)
                            + "/resource-config.json (NativeSourcesIT checks the built jar)");
        }
    }

    @Test
    void thePipelineCoreImportsNoQuarkus() throws IOException {
        List<String> offenders = new ArrayList<>();
        for (String pkg : List.of("runtime", "pipeline", "session", "delivery", "settings", "plugin", "speech")) {
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

    /** Lines of a class the SPI may hold without being an interface, record, enum or exception. */
    private static final int SPI_CLASS_MAX_CODE_LINES = 100;
    /**
     * The configuration every plugin receives: a value type whose typed getters (with their error messages) are part
     * of the contract. Any other class over the limit is a codec or parser and belongs in a library under libs/.
     */
    private static final List<String> SPI_VALUE_CLASSES = List.of("PluginConfig.java");
    private static final Pattern CONTRACT_TYPE = Pattern.compile(
            "(?m)^public\\s+(sealed\\s+|non-sealed\\s+)?(interface|@interface|record|enum)\\s"
                    + "|(?m)^public\\s+(abstract\\s+)?class\\s+\\w+Exception\\s+extends\\s");
    private static final Pattern THIRD_PARTY_IMPORT = Pattern.compile(
            "(?m)^import\\s+(static\\s+)?(?!java\\.|javax\\.|dev\\.earshot\\.)[\\w.]+;");

    @Test
    void theSpiHoldsContractsOnly() throws IOException {
        List<String> offenders = new ArrayList<>();
        try (Stream<Path> files = Files.walk(ROOT.resolve("spi/src/main/java"))) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).sorted().toList()) {
                String source = Files.readString(file);
                long code = codeLines(source);
                if (code > SPI_CLASS_MAX_CODE_LINES && !CONTRACT_TYPE.matcher(source).find()
                        && !SPI_VALUE_CLASSES.contains(file.getFileName().toString())) {
                    offenders.add(ROOT.relativize(file) + " (" + code + " lines of code)");
                }
            }
        }
        assertEquals(List.of(), offenders, "the SPI holds interfaces, records, enums, exceptions and small values only;"
                + " a class of more than " + SPI_CLASS_MAX_CODE_LINES + " lines of code is a codec or parser: move it"
                + " to a library under libs/ (docs/plugins.md)");
    }

    @Test
    void theLibrariesForPluginsUseTheJdkOnly() throws IOException {
        List<String> offenders = new ArrayList<>();
        for (String lib : List.of("audio", "json", "wyoming")) {
            offenders.addAll(sourcesMatching(ROOT.resolve("libs/" + lib + "/src/main/java"), THIRD_PARTY_IMPORT));
        }
        // The Wyoming codec is shared by the server and the plugin: the JDK and libs/json, nothing of either side.
        offenders.addAll(sourcesMatching(ROOT.resolve("libs/wyoming/src/main/java"), Pattern.compile(
                "(?m)^import\\s+(static\\s+)?dev\\.earshot\\.(?!json\\.|wyoming\\.)[\\w.]+;")));
        assertEquals(List.of(), offenders, "libs/audio, libs/json and libs/wyoming are bundled by plugins: JDK and SPI"
                + " only (libs/wyoming: JDK and libs/json only)");
    }

    /** Lines that are not blank, not comments, not package or import declarations. */
    static long codeLines(String source) {
        String withoutBlockComments = source.replaceAll("(?s)/\\*.*?\\*/", "");
        return withoutBlockComments.lines().map(String::strip)
                .filter(line -> !line.isEmpty() && !line.startsWith("//") && !line.startsWith("import ")
                        && !line.startsWith("package "))
                .count();
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
