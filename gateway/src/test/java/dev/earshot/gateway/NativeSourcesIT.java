package dev.earshot.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.jar.JarFile;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The native build as far as it runs here: the verify build's {@code native-sources} execution runs every Quarkus
 * native build step and writes {@code target/native-sources} (the arguments for {@code native-image} and the jars it
 * would compile). GraalVM reads the reachability metadata from {@code META-INF/native-image/} inside those jars.
 * This checks that the metadata covers what the gateway needs at run time: every built-in plugin (found through
 * ServiceLoader, which Quarkus does not register automatically), every class binding native code through JNA, and
 * every native library and resource loaded from the class path.
 */
class NativeSourcesIT {

    private static final Path SOURCES = Path.of("target/native-sources");
    private static final ObjectMapper JSON = new ObjectMapper();
    /**
     * Packages whose classes bind native code and must therefore be covered by the metadata: Vosk (JNA), webrtc-java
     * (JNI; the {@code webrtc-java/} folder of native-config), and our own.
     */
    private static final List<String> NATIVE_BINDINGS = List.of("org.vosk.", "dev.onvoid.webrtc.", "dev.earshot.");

    private static List<String> args;
    private static Path runner;
    private static List<Path> classPath;
    /** Every reachability metadata file of every jar, by kind (reflect, jni, resource), and the Args lines. */
    private static final Map<String, List<JsonNode>> metadata = new LinkedHashMap<>();
    private static final List<String> imageArgs = new ArrayList<>();

    @BeforeAll
    static void readNativeSources() throws IOException {
        Path argsFile = SOURCES.resolve("native-image.args");
        assertTrue(Files.isRegularFile(argsFile), argsFile + " is missing: the native-sources execution did not run");
        args = List.of(Files.readString(argsFile).trim().split("\\s+"));
        int jar = args.indexOf("-jar");
        assertTrue(jar >= 0 && jar + 1 < args.size(), "native-image.args names the runner jar: " + args);
        runner = SOURCES.resolve(args.get(jar + 1));
        classPath = new ArrayList<>(List.of(runner));
        try (JarFile runnerJar = new JarFile(runner.toFile())) {
            String manifestPath = runnerJar.getManifest().getMainAttributes().getValue("Class-Path");
            for (String entry : manifestPath.trim().split("\\s+")) {
                Path lib = SOURCES.resolve(entry);
                assertTrue(Files.isRegularFile(lib), "class path entry " + entry + " exists in " + SOURCES);
                classPath.add(lib);
            }
        }
        for (Path path : classPath) {
            try (JarFile jarFile = new JarFile(path.toFile())) {
                var entries = Collections.list(jarFile.entries());
                for (var entry : entries) {
                    String name = entry.getName();
                    if (!name.startsWith("META-INF/native-image/")) {
                        continue;
                    }
                    String file = name.substring(name.lastIndexOf('/') + 1);
                    try (InputStream in = jarFile.getInputStream(entry)) {
                        if (file.endsWith("-config.json")) {
                            metadata.computeIfAbsent(file.substring(0, file.length() - "-config.json".length()),
                                    k -> new ArrayList<>()).add(JSON.readTree(in));
                        } else if (file.equals("native-image.properties")) {
                            Properties properties = new Properties();
                            properties.load(in);
                            if (properties.getProperty("Args") != null) {
                                imageArgs.addAll(List.of(properties.getProperty("Args").trim().split("\\s+")));
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void quarkusBuildsAnExecutableWithoutFallbackAndLeavesServiceLoaderToUs() {
        assertTrue(args.contains("--no-fallback"), "a real native executable, never a JVM fallback: " + args);
        // Quarkus turns GraalVM's automatic ServiceLoader registration off, so the plugins need explicit metadata.
        assertTrue(args.contains("-H:-UseServiceLoaderFeature"), String.join(" ", args));
        assertTrue(classPath.stream().anyMatch(p -> p.getFileName().toString().startsWith("dev.earshot.earshot-native-config-")),
                "the native-config jar is on the image class path: " + classPath);
    }

    @Test
    void jnaAndVoskInitialiseAtRunTime() {
        List<String> runTime = imageArgs.stream().filter(a -> a.startsWith("--initialize-at-run-time="))
                .flatMap(a -> Arrays.stream(a.substring(a.indexOf('=') + 1).split(","))).toList();
        assertTrue(runTime.contains("com.sun.jna"), "JNA loads libjnidispatch when it initialises: " + imageArgs);
        assertTrue(runTime.contains("org.vosk"), "LibVosk binds libvosk when it initialises: " + imageArgs);
        assertTrue(runTime.contains("dev.onvoid.webrtc"), "webrtc-java loads its JNI library when it initialises: " + imageArgs);
    }

    @Test
    void everyBuiltInPluginIsRegisteredForServiceLoaderWithItsMetadata() throws IOException {
        List<String> providers = new ArrayList<>();
        for (Path path : classPath) {
            try (JarFile jar = new JarFile(path.toFile())) {
                var services = jar.getJarEntry("META-INF/services/dev.earshot.spi.Plugin");
                if (services == null) {
                    continue;
                }
                assertTrue(resourceIncluded(services.getName()), "the service file of " + path.getFileName() + " is an image resource");
                String listed = new String(jar.getInputStream(services).readAllBytes(), StandardCharsets.UTF_8);
                for (String line : listed.split("\\R")) {
                    String provider = line.replaceFirst("#.*", "").trim();
                    if (provider.isEmpty()) {
                        continue;
                    }
                    providers.add(provider);
                    assertTrue(hasNoArgConstructor(provider), provider + " (" + path.getFileName()
                            + ") is registered for reflection with its no-argument constructor");
                    String properties = provider.substring(0, provider.lastIndexOf('.')).replace('.', '/') + "/earshot-plugin.properties";
                    if (jar.getJarEntry(properties) != null) {
                        assertTrue(resourceIncluded(properties), properties + " (the plugin's version) is an image resource");
                    }
                }
            }
        }
        assertTrue(providers.containsAll(List.of("dev.earshot.plugins.file.FilePlugin", "dev.earshot.plugins.vosk.VoskPlugin")),
                "the built-in plugins are on the image class path: " + providers);
    }

    @Test
    void everyClassBindingNativeCodeIsRegisteredForJniAndReflection() throws Exception {
        List<String> checked = new ArrayList<>();
        URL[] urls = classPath.stream().map(NativeSourcesIT::url).toArray(URL[]::new);
        try (URLClassLoader loader = new URLClassLoader(urls, ClassLoader.getPlatformClassLoader())) {
            for (Path path : classPath) {
                for (String className : classNames(path)) {
                    if (NATIVE_BINDINGS.stream().noneMatch(className::startsWith)) {
                        continue;
                    }
                    Class<?> type = Class.forName(className, false, loader);
                    boolean natives = Arrays.stream(type.getDeclaredMethods()).map(Method::getModifiers).anyMatch(Modifier::isNative);
                    if (natives) {
                        checked.add(className);
                        assertTrue(registered("jni", className, "allDeclaredMethods"), className + " declares native methods: jni-config");
                        assertTrue(registered("reflect", className, "allDeclaredMethods"), className + " declares native methods: reflect-config (JNA finds them by reflection)");
                    }
                    Class<?> pointerType = Class.forName("com.sun.jna.PointerType", false, loader);
                    if (pointerType.isAssignableFrom(type) && type != pointerType) {
                        checked.add(className);
                        assertTrue(registered("reflect", className, "allDeclaredConstructors"),
                                className + " is a JNA PointerType that JNA instantiates: reflect-config");
                    }
                }
            }
        }
        assertTrue(checked.contains("org.vosk.LibVosk"), "the Vosk binding was found and checked: " + checked);
        assertTrue(checked.contains("dev.onvoid.webrtc.PeerConnectionFactory") && checked.contains("dev.onvoid.webrtc.RTCPeerConnection"),
                "the webrtc-java binding was found and checked: " + checked);
        assertTrue(registered("jni", "com.sun.jna.Native", "allDeclaredMethods"), "libjnidispatch calls back into com.sun.jna.Native");
    }

    @Test
    void nativeLibrariesAndTheConsoleAreImageResources() throws IOException {
        List<String> libraries = new ArrayList<>();
        for (Path path : classPath) {
            try (JarFile jar = new JarFile(path.toFile())) {
                jar.stream().map(e -> e.getName())
                        .filter(n -> n.endsWith(".so") && (n.contains("linux-x86-64/") || n.contains("linux-aarch64/")))
                        .filter(n -> n.startsWith("com/sun/jna/") || n.startsWith("linux-"))
                        .forEach(libraries::add);
            }
        }
        assertTrue(libraries.containsAll(List.of("com/sun/jna/linux-x86-64/libjnidispatch.so",
                "com/sun/jna/linux-aarch64/libjnidispatch.so", "linux-x86-64/libvosk.so")), libraries.toString());
        for (Path path : classPath) {
            try (JarFile jar = new JarFile(path.toFile())) {
                jar.stream().map(e -> e.getName()).filter(n -> n.startsWith("libwebrtc-java-") && n.endsWith(".so"))
                        .forEach(libraries::add);
            }
        }
        assertTrue(libraries.containsAll(List.of("libwebrtc-java-linux-x86_64.so", "libwebrtc-java-linux-aarch64.so")),
                "webrtc-java's JNI library for both 64-bit Linux platforms: " + libraries);
        for (String library : libraries) {
            assertTrue(resourceIncluded(library), library + " is loaded from the class path: it must be an image resource");
        }
        for (String page : List.of("index.html", "console.js", "console.css")) {
            assertTrue(resourceIncluded("META-INF/resources/" + page), "the web console: " + page);
        }
        assertFalse(resourceIncluded("win32-x86-64/libvosk.dll"), "no libraries of other platforms in a Linux image");
    }

    private static boolean resourceIncluded(String resource) {
        for (JsonNode config : metadata.getOrDefault("resource", List.of())) {
            for (JsonNode include : config.path("resources").path("includes")) {
                if (Pattern.matches(include.path("pattern").asText(), resource)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static boolean hasNoArgConstructor(String className) {
        for (JsonNode config : metadata.getOrDefault("reflect", List.of())) {
            for (JsonNode type : config) {
                if (type.path("name").asText().equals(className)) {
                    if (type.path("allDeclaredConstructors").asBoolean() || type.path("allPublicConstructors").asBoolean()) {
                        return true;
                    }
                    for (JsonNode method : type.path("methods")) {
                        if (method.path("name").asText().equals("<init>") && method.path("parameterTypes").isEmpty()) {
                            return true;
                        }
                    }
                }
            }
        }
        return false;
    }

    private static boolean registered(String kind, String className, String flag) {
        for (JsonNode config : metadata.getOrDefault(kind, List.of())) {
            for (JsonNode type : config) {
                if (type.path("name").asText().equals(className) && type.path(flag).asBoolean()) {
                    return true;
                }
            }
        }
        return false;
    }

    private static List<String> classNames(Path jar) throws IOException {
        try (JarFile file = new JarFile(jar.toFile()); Stream<java.util.jar.JarEntry> entries = file.stream()) {
            return entries.map(e -> e.getName())
                    .filter(n -> n.endsWith(".class") && !n.startsWith("META-INF/") && !n.endsWith("module-info.class"))
                    .map(n -> n.substring(0, n.length() - ".class".length()).replace('/', '.'))
                    .toList();
        }
    }

    private static URL url(Path path) {
        try {
            return path.toUri().toURL();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
