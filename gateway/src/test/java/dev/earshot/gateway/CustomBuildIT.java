package dev.earshot.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Build-time plugin selection ({@code bin/earshot-build -Dearshot.extra-plugins=...}): a native build (sources only;
 * GraalVM cannot link here) of a copy of this checkout with the third-party example plugin baked in. Its native build
 * inputs hold the plugin's jar, its ServiceLoader registration and its reachability metadata.
 *
 * <p>The example must be resolvable by Maven through its coordinates, so it is installed into the local repository
 * under its own coordinates ({@code com.example:earshot-keyword-alert:1.0.0}), which nothing else in the build uses.
 * The Earshot modules themselves come from the copy's reactor, never from the local repository.
 */
class CustomBuildIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SERVICES = "META-INF/services/dev.earshot.spi.Plugin";

    @Test
    void nativeSourcesOfACustomBuildIncludeTheChosenPluginAndItsServiceLoaderFile(@TempDir Path work) throws Exception {
        ExamplePluginIT.buildExample(work);
        run(work.resolve("keyword-alert"), work.resolve("install.log"), ExamplePluginIT.maven(), "-B", "-o", "-ntp",
                "-q", "install", "-Dearshot.spi.jar=" + Path.of(System.getProperty("test.spi.jar")).toAbsolutePath(),
                "-Dearshot.conformance.jar=" + Path.of(System.getProperty("test.conformance.jar")).toAbsolutePath());

        Path checkout = Path.of("..").toAbsolutePath().normalize();
        Path copy = work.resolve("earshot");
        Files.createDirectories(copy);
        Files.copy(checkout.resolve("pom.xml"), copy.resolve("pom.xml"));
        for (String folder : reactorFolders(checkout)) {
            ExamplePluginIT.copyTree(checkout.resolve(folder), copy.resolve(folder));
        }
        ProcessBuilder build = new ProcessBuilder(copy.resolve("bin/earshot-build").toString(), "-B", "-o", "-ntp", "-q",
                "package", "-Dmaven.test.skip=true", "-DskipITs", "-Dnative", "-Dquarkus.native.sources-only=true",
                "-Dearshot.extra-plugins=com.example:earshot-keyword-alert:1.0.0");
        build.environment().put("MVN", ExamplePluginIT.maven());
        run(build.directory(copy.toFile()), work.resolve("build.log"));

        Path sources = copy.resolve("gateway/target/native-sources");
        String args = Files.readString(sources.resolve("native-image.args"));
        assertTrue(args.contains("--no-fallback"), args);
        List<String> providers = new ArrayList<>();
        List<JsonNode> reflect = new ArrayList<>();
        List<JsonNode> resources = new ArrayList<>();
        Path pluginJar = null;
        for (Path jar : classPath(sources, args)) {
            try (JarFile file = new JarFile(jar.toFile())) {
                if (jar.getFileName().toString().startsWith("com.example.earshot-keyword-alert-1.0.0")) {
                    pluginJar = jar;
                }
                JarEntry services = file.getJarEntry(SERVICES);
                if (services != null) {
                    for (String line : new String(file.getInputStream(services).readAllBytes(), StandardCharsets.UTF_8).split("\\R")) {
                        if (!line.isBlank()) {
                            providers.add(line.trim());
                        }
                    }
                }
                for (JarEntry entry : Collections.list(file.entries())) {
                    if (entry.getName().startsWith("META-INF/native-image/") && entry.getName().endsWith("reflect-config.json")) {
                        reflect.add(JSON.readTree(file.getInputStream(entry)));
                    } else if (entry.getName().startsWith("META-INF/native-image/") && entry.getName().endsWith("resource-config.json")) {
                        resources.add(JSON.readTree(file.getInputStream(entry)));
                    }
                }
            }
        }
        assertTrue(pluginJar != null, "the plugin jar is on the native image class path: " + args);
        assertTrue(providers.contains("com.example.keywordalert.KeywordAlertPlugin"), "its ServiceLoader registration: " + providers);
        assertTrue(providers.containsAll(List.of("dev.earshot.plugins.file.FilePlugin", "dev.earshot.plugins.vosk.VoskPlugin")),
                "beside the built-in plugins: " + providers);
        assertTrue(reflect.stream().flatMap(n -> java.util.stream.StreamSupport.stream(n.spliterator(), false))
                        .anyMatch(t -> t.path("name").asText().equals("com.example.keywordalert.KeywordAlertPlugin")),
                "the plugin class is registered for reflection (ServiceLoader instantiates it)");
        assertTrue(included(resources, SERVICES), "the services file is an image resource");
        assertTrue(included(resources, "com/example/keywordalert/earshot-plugin.properties"), "the plugin's metadata is an image resource");
        try (var generated = Files.list(copy)) {
            assertTrue(generated.anyMatch(p -> p.getFileName().toString().equals("pom.earshot-build.xml")), "the generated root pom");
        }
        assertEquals(Files.readString(checkout.resolve("gateway/pom.xml")), Files.readString(copy.resolve("gateway/pom.xml")),
                "the checkout's own gateway pom is left as it was");
    }

    /** {@code bin} and the top folder of every module the root pom lists, so that a new module is copied too. */
    private static List<String> reactorFolders(Path checkout) throws IOException {
        List<String> folders = new ArrayList<>(List.of("bin"));
        var module = Pattern.compile("<module>([^<]+)</module>").matcher(Files.readString(checkout.resolve("pom.xml")));
        while (module.find()) {
            String top = module.group(1).split("/")[0];
            if (!folders.contains(top)) {
                folders.add(top);
            }
        }
        return folders;
    }

    private static List<Path> classPath(Path sources, String args) throws IOException {
        List<String> words = List.of(args.trim().split("\\s+"));
        Path runner = sources.resolve(words.get(words.indexOf("-jar") + 1));
        List<Path> jars = new ArrayList<>(List.of(runner));
        try (JarFile file = new JarFile(runner.toFile())) {
            for (String entry : file.getManifest().getMainAttributes().getValue("Class-Path").trim().split("\\s+")) {
                jars.add(sources.resolve(entry));
            }
        }
        return jars;
    }

    private static boolean included(List<JsonNode> configs, String resource) {
        for (JsonNode config : configs) {
            for (JsonNode include : config.path("resources").path("includes")) {
                if (Pattern.matches(include.path("pattern").asText(), resource)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static void run(Path directory, Path log, String... command) throws Exception {
        run(new ProcessBuilder(command).directory(directory.toFile()), log);
    }

    private static void run(ProcessBuilder builder, Path log) throws Exception {
        Process process = builder.redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertTrue(process.waitFor(10, TimeUnit.MINUTES), String.join(" ", builder.command()) + " within 10 min");
        assertEquals(0, process.exitValue(), String.join(" ", builder.command()) + "; log:\n" + Files.readString(log));
    }
}
