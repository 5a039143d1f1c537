package dev.earshot.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the {@code native-sources} execution of the verify build wrote to {@code target/native-sources}: the arguments
 * for {@code native-image}, the jars it would compile (the runner jar and its {@code Class-Path}), and the reachability
 * metadata GraalVM reads from {@code META-INF/native-image/} inside those jars, in both formats
 * ({@code *-config.json} and {@code reachability-metadata.json}). Read once per test JVM.
 */
final class NativeSources {

    static final Path DIR = Path.of("target/native-sources");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static NativeSources instance;

    /** The words of {@code native-image.args}. */
    final List<String> args;
    final Path runner;
    /** The runner jar first, then its {@code Class-Path}, in order. */
    final List<Path> classPath;
    /** The {@code Args} of every {@code native-image.properties} on the class path. */
    final List<String> propertyArgs;
    /** The metadata of every jar together, as GraalVM reads it. */
    private final Metadata all = new Metadata();
    /** The metadata each jar carries itself, by jar. */
    private final Map<Path, Metadata> byJar = new LinkedHashMap<>();

    private NativeSources() throws IOException {
        Path argsFile = DIR.resolve("native-image.args");
        assertTrue(Files.isRegularFile(argsFile), argsFile + " is missing: the native-sources execution did not run");
        args = List.of(Files.readString(argsFile).trim().split("\\s+"));
        int jar = args.indexOf("-jar");
        assertTrue(jar >= 0 && jar + 1 < args.size(), "native-image.args names the runner jar: " + args);
        runner = DIR.resolve(args.get(jar + 1));
        List<Path> path = new ArrayList<>(List.of(runner));
        try (JarFile runnerJar = new JarFile(runner.toFile())) {
            String manifestPath = runnerJar.getManifest().getMainAttributes().getValue("Class-Path");
            for (String entry : manifestPath.trim().split("\\s+")) {
                Path lib = DIR.resolve(entry);
                assertTrue(Files.isRegularFile(lib), "class path entry " + entry + " exists in " + DIR);
                path.add(lib);
            }
        }
        classPath = List.copyOf(path);
        for (Path jarPath : classPath) {
            Metadata own = new Metadata();
            try (JarFile jarFile = new JarFile(jarPath.toFile())) {
                for (JarEntry entry : Collections.list(jarFile.entries())) {
                    if (entry.getName().startsWith("META-INF/native-image/") && !entry.isDirectory()) {
                        own.files.add(entry.getName());
                        String file = entry.getName().substring(entry.getName().lastIndexOf('/') + 1);
                        try (InputStream in = jarFile.getInputStream(entry)) {
                            byte[] bytes = in.readAllBytes();
                            own.read(file, bytes);
                            all.read(file, bytes);
                        }
                    }
                }
            }
            byJar.put(jarPath, own);
        }
        propertyArgs = all.propertyArgs;
    }

    static synchronized NativeSources read() throws IOException {
        if (instance == null) {
            instance = new NativeSources();
        }
        return instance;
    }

    /** Every entry of that kind ({@code reflect} or {@code jni}) for the class, in every metadata file. */
    List<JsonNode> entries(String kind, String className) {
        return all.entries(kind, className);
    }

    /** True when some entry of that kind registers the class with that flag (e.g. {@code allDeclaredMethods}). */
    boolean registered(String kind, String className, String flag) {
        return all.registered(kind, className, flag);
    }

    boolean resourceIncluded(String resource) {
        return all.resourceIncluded(resource);
    }

    /** The metadata that one jar of the class path carries itself (empty when it carries none). */
    Metadata metadataOf(Path jar) {
        return byJar.getOrDefault(jar, new Metadata());
    }

    /** Arguments from both sources GraalVM reads: {@code native-image.args} and every {@code native-image.properties}. */
    List<String> allImageArgs() {
        List<String> all = new ArrayList<>(args);
        all.addAll(propertyArgs);
        return all;
    }

    /** A loader over the image class path (parent: the platform loader); it only loads, it initialises nothing. */
    URLClassLoader classLoader() {
        return new URLClassLoader(classPath.stream().map(NativeSources::url).toArray(URL[]::new),
                ClassLoader.getPlatformClassLoader());
    }

    static List<String> classNames(Path jar) {
        try (JarFile file = new JarFile(jar.toFile()); Stream<JarEntry> entries = file.stream()) {
            return entries.map(JarEntry::getName)
                    .filter(n -> n.endsWith(".class") && !n.startsWith("META-INF/") && !n.endsWith("module-info.class"))
                    .map(n -> n.substring(0, n.length() - ".class".length()).replace('/', '.'))
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The bytes of one class file on the image class path, or null. */
    byte[] classBytes(String className) {
        String entryName = className.replace('.', '/') + ".class";
        for (Path jar : classPath) {
            try (JarFile file = new JarFile(jar.toFile())) {
                JarEntry entry = file.getJarEntry(entryName);
                if (entry != null) {
                    try (InputStream in = file.getInputStream(entry)) {
                        return in.readAllBytes();
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return null;
    }

    /** Reachability-metadata globs: {@code *} within one path segment, {@code **} across segments. */
    private static Pattern globPattern(String glob) {
        StringBuilder regex = new StringBuilder();
        for (int i = 0; i < glob.length(); i++) {
            char c = glob.charAt(i);
            if (c == '*' && i + 1 < glob.length() && glob.charAt(i + 1) == '*') {
                regex.append(".*");
                i++;
            } else if (c == '*') {
                regex.append("[^/]*");
            } else {
                regex.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(regex.toString());
    }

    /** Reachability metadata as read from {@code META-INF/native-image/} (of one jar, or of all together). */
    static final class Metadata {

        /** The metadata files' entry names. */
        final List<String> files = new ArrayList<>();
        /** The {@code Args} of every {@code native-image.properties}. */
        final List<String> propertyArgs = new ArrayList<>();
        /** Type entries by kind ({@code reflect}, {@code jni}); {@code jniAccessible} reflection entries count for both. */
        private final Map<String, List<JsonNode>> types = new LinkedHashMap<>();
        /** Resource include patterns (regular expressions) of every metadata file. */
        private final List<Pattern> resources = new ArrayList<>();

        void read(String file, byte[] in) throws IOException {
            switch (file) {
                case "native-image.properties" -> {
                    Properties properties = new Properties();
                    properties.load(new ByteArrayInputStream(in));
                    if (properties.getProperty("Args") != null) {
                        propertyArgs.addAll(List.of(properties.getProperty("Args").trim().split("\\s+")));
                    }
                }
                case "reflect-config.json", "jni-config.json" -> JSON.readTree(in)
                        .forEach(type -> types(file.startsWith("jni") ? "jni" : "reflect").add(type));
                case "resource-config.json" -> JSON.readTree(in).path("resources").path("includes")
                        .forEach(include -> resources.add(Pattern.compile(include.path("pattern").asText())));
                case "reachability-metadata.json" -> {
                    JsonNode metadata = JSON.readTree(in);
                    for (JsonNode entry : metadata.path("reflection")) {
                        if (entry.path("type").isTextual()) {
                            ObjectNode type = entry.deepCopy();
                            type.put("name", entry.path("type").asText());
                            types("reflect").add(type);
                            if (entry.path("jniAccessible").asBoolean()) {
                                types("jni").add(type);
                            }
                        }
                    }
                    for (JsonNode entry : metadata.path("jni")) {
                        ObjectNode type = entry.deepCopy();
                        type.put("name", entry.path("type").asText(entry.path("name").asText()));
                        types("jni").add(type);
                    }
                    for (JsonNode entry : metadata.path("resources")) {
                        if (entry.has("glob")) {
                            resources.add(globPattern(entry.path("glob").asText()));
                        }
                    }
                }
                default -> {
                    // serialization, proxy and predefined-class metadata: nothing checked here
                }
            }
        }

        /** Every type entry of that kind ({@code reflect} or {@code jni}). */
        List<JsonNode> types(String kind) {
            return types.computeIfAbsent(kind, k -> new ArrayList<>());
        }

        /** Every entry of that kind ({@code reflect} or {@code jni}) for the class, in every metadata file. */
        List<JsonNode> entries(String kind, String className) {
            return types.getOrDefault(kind, List.of()).stream().filter(t -> t.path("name").asText().equals(className)).toList();
        }

        /** True when some entry of that kind registers the class with that flag (e.g. {@code allDeclaredMethods}). */
        boolean registered(String kind, String className, String flag) {
            return entries(kind, className).stream().anyMatch(t -> t.path(flag).asBoolean());
        }

        boolean resourceIncluded(String resource) {
            return resources.stream().anyMatch(p -> p.matcher(resource).matches());
        }

        List<Pattern> resourcePatterns() {
            return resources;
        }
    }

    private static URL url(Path path) {
        try {
            return path.toUri().toURL();
        } catch (MalformedURLException e) {
            throw new IllegalStateException(e);
        }
    }
}
