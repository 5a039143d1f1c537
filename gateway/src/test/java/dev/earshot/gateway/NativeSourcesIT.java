package dev.earshot.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.jar.JarFile;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The native build as far as it runs here: the verify build's {@code native-sources} execution runs every Quarkus
 * native build step and writes {@code target/native-sources} (the arguments for {@code native-image} and the jars it
 * would compile). GraalVM reads the reachability metadata from {@code META-INF/native-image/} inside those jars.
 * This checks that the metadata covers what the gateway needs at run time: every built-in plugin (found through
 * ServiceLoader, which Quarkus does not register automatically), every class binding native code through JNA, and
 * every native library and resource loaded from the class path (of this platform only). {@link NativeClassInitIT},
 * {@link NativeJniLookupsIT} and {@link NativeApiBodiesIT} check the three faults a real GraalVM build found.
 */
class NativeSourcesIT {

    /**
     * Packages whose classes bind native code and must therefore be covered by the metadata: Vosk (JNA), webrtc-java
     * (JNI; the metadata in libs/webrtc), and our own.
     */
    private static final List<String> NATIVE_BINDINGS = List.of("org.vosk.", "dev.onvoid.webrtc.", "ai.onnxruntime.", "dev.earshot.");
    private static final String SERVICES = "META-INF/services/dev.earshot.spi.Plugin";
    /** The plugins the gateway is built with (its pom's dependencies). */
    private static final List<String> BUILT_IN_PLUGINS = List.of("dev.earshot.plugins.file.FilePlugin",
            "dev.earshot.plugins.vosk.VoskPlugin", "dev.earshot.plugins.mqtt.MqttPlugin",
            "dev.earshot.plugins.webhook.WebhookPlugin", "dev.earshot.plugins.microphone.MicrophonePlugin",
            "dev.earshot.plugins.wyoming.WyomingPlugin", "dev.earshot.plugins.exec.ExecPlugin");

    private static NativeSources sources;
    private static List<Path> classPath;
    private static List<String> imageArgs;

    @BeforeAll
    static void readNativeSources() throws IOException {
        sources = NativeSources.read();
        classPath = sources.classPath;
        imageArgs = sources.propertyArgs;
    }

    @Test
    void quarkusBuildsAnExecutableWithoutFallbackAndLeavesServiceLoaderToUs() {
        List<String> args = sources.args;
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

    /**
     * Each plugin jar carries its own metadata (under {@code META-INF/native-image/<groupId>/<artifactId>/}): its
     * ServiceLoader entry, its provider's no-argument constructor and its {@code earshot-plugin.properties}. Metadata in
     * another jar (such as native-config) does not count, so a plugin added to a build brings what it needs.
     */
    @Test
    void everyBuiltInPluginRegistersItselfForServiceLoaderInItsOwnJar() throws IOException {
        List<String> providers = new ArrayList<>();
        for (Path path : classPath) {
            NativeSources.Metadata own = sources.metadataOf(path);
            try (JarFile jar = new JarFile(path.toFile())) {
                var services = jar.getJarEntry(SERVICES);
                if (services == null) {
                    continue;
                }
                assertTrue(own.resourceIncluded(services.getName()), "the service file of " + path.getFileName()
                        + " is an image resource by that jar's own metadata (META-INF/native-image/dev.earshot/<artifactId>/"
                        + "resource-config.json); it carries: " + own.files);
                String listed = new String(jar.getInputStream(services).readAllBytes(), StandardCharsets.UTF_8);
                for (String line : listed.split("\\R")) {
                    String provider = line.replaceFirst("#.*", "").trim();
                    if (provider.isEmpty()) {
                        continue;
                    }
                    providers.add(provider);
                    assertTrue(hasNoArgConstructor(own, provider), provider + " (" + path.getFileName()
                            + ") is registered for reflection with its no-argument constructor by its own jar's metadata");
                    String properties = provider.substring(0, provider.lastIndexOf('.')).replace('.', '/') + "/earshot-plugin.properties";
                    if (jar.getJarEntry(properties) != null) {
                        assertTrue(own.resourceIncluded(properties), properties + " (the plugin's version) is an image "
                                + "resource by its own jar's metadata");
                    }
                }
            }
        }
        assertTrue(providers.containsAll(BUILT_IN_PLUGINS), "the built-in plugins are on the image class path: " + providers);
    }

    /**
     * native-config carries the gateway's own metadata only: files under {@code dev.earshot/gateway/}, no plugin's
     * ServiceLoader entry or version file, no third-party library's types, native libraries or initialisation.
     */
    @Test
    void nativeConfigHoldsOnlyTheGatewaysOwnMetadata() throws IOException {
        Path nativeConfig = classPath.stream()
                .filter(p -> p.getFileName().toString().startsWith("dev.earshot.earshot-native-config-")).findFirst()
                .orElseThrow(() -> new AssertionError("the native-config jar is on the image class path: " + classPath));
        NativeSources.Metadata own = sources.metadataOf(nativeConfig);
        assertFalse(own.files.isEmpty(), "native-config carries the gateway's metadata");
        for (String file : own.files) {
            assertTrue(file.startsWith("META-INF/native-image/dev.earshot/gateway/"), "native-config holds the gateway's "
                    + "metadata only; a plugin's or library's belongs in its own jar: " + file);
        }
        for (String kind : List.of("reflect", "jni")) {
            for (JsonNode type : own.types(kind)) {
                assertTrue(type.path("name").asText().startsWith("dev.earshot.gateway."), "native-config registers a type "
                        + "that is not the gateway's (" + kind + "): " + type);
            }
        }
        List<String> notTheGateways = new ArrayList<>(List.of(SERVICES));
        for (String provider : BUILT_IN_PLUGINS) {
            notTheGateways.add(provider.substring(0, provider.lastIndexOf('.')).replace('.', '/') + "/earshot-plugin.properties");
        }
        for (Path path : classPath) {
            try (JarFile jar = new JarFile(path.toFile())) {
                jar.stream().map(e -> e.getName()).filter(n -> n.matches(".*\\.(so|dll|dylib|jnilib)")).forEach(notTheGateways::add);
            }
        }
        for (String resource : notTheGateways) {
            assertFalse(own.resourceIncluded(resource), "native-config lists a resource that is not the gateway's: " + resource);
        }
        for (String arg : own.propertyArgs) {
            if (arg.startsWith("--initialize-at-")) {
                for (String name : arg.substring(arg.indexOf('=') + 1).split(",")) {
                    assertTrue(name.startsWith("dev.earshot.gateway."), "native-config declares initialisation of a "
                            + "class that is not the gateway's: " + arg);
                }
            }
        }
    }

    @Test
    void everyClassBindingNativeCodeIsRegisteredForJniAndReflection() throws Exception {
        List<String> checked = new ArrayList<>();
        try (URLClassLoader loader = sources.classLoader()) {
            for (Path path : classPath) {
                for (String className : NativeSources.classNames(path)) {
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
        assertTrue(checked.contains("ai.onnxruntime.OrtSession") && checked.contains("ai.onnxruntime.OnnxTensor"),
                "the ONNX Runtime binding (speech gate) was found and checked: " + checked);
        assertTrue(checked.contains("dev.onvoid.webrtc.PeerConnectionFactory") && checked.contains("dev.onvoid.webrtc.RTCPeerConnection"),
                "the webrtc-java binding was found and checked: " + checked);
        assertTrue(registered("jni", "com.sun.jna.Native", "allDeclaredMethods"), "libjnidispatch calls back into com.sun.jna.Native");
    }

    /**
     * native-image builds for the machine it runs on, so the image carries the native libraries of this platform only:
     * JNA's dispatch library, libvosk (x86-64 only: on ARM the user supplies it) and webrtc-java's library are
     * resources; every other native library on the class path (other architectures, Windows, macOS) is not.
     */
    @Test
    void onlyThisPlatformsNativeLibrariesAndTheConsoleAreImageResources() throws IOException {
        String arch = System.getProperty("os.arch");
        String jnaPlatform = switch (arch) {
            case "amd64", "x86_64" -> "linux-x86-64";
            case "aarch64" -> "linux-aarch64";
            default -> "linux-arm";
        };
        List<String> needed = new ArrayList<>(List.of("com/sun/jna/" + jnaPlatform + "/libjnidispatch.so",
                "libwebrtc-java-" + jnaPlatform.replace("x86-64", "x86_64").replace("-arm", "-aarch32") + ".so"));
        if (jnaPlatform.equals("linux-x86-64")) {
            needed.add("linux-x86-64/libvosk.so");
        }
        // ONNX Runtime (the speech gate) names its platforms linux-x64 and linux-aarch64.
        String onnxPlatform = jnaPlatform.replace("x86-64", "x64");
        needed.addAll(List.of("ai/onnxruntime/native/" + onnxPlatform + "/libonnxruntime.so",
                "ai/onnxruntime/native/" + onnxPlatform + "/libonnxruntime4j_jni.so"));
        List<String> libraries = new ArrayList<>();
        for (Path path : classPath) {
            try (JarFile jar = new JarFile(path.toFile())) {
                jar.stream().map(e -> e.getName()).filter(n -> n.matches(".*\\.(so|dll|dylib|jnilib)"))
                        .forEach(libraries::add);
            }
        }
        assertTrue(libraries.containsAll(needed), "the native libraries of " + arch + " are on the class path: " + libraries);
        // The JVM distribution carries webrtc-java for both 64-bit Linux platforms (it picks one at run time); a native
        // image carries this platform's only.
        assertTrue(libraries.containsAll(List.of("libwebrtc-java-linux-x86_64.so", "libwebrtc-java-linux-aarch64.so")),
                "webrtc-java's JNI library for both 64-bit Linux platforms: " + libraries);
        List<String> foreign = new ArrayList<>();
        for (String library : libraries) {
            if (needed.contains(library)) {
                assertTrue(resourceIncluded(library), library + " is loaded from the class path: it must be an image resource");
            } else if (resourceIncluded(library)) {
                foreign.add(library);
            }
        }
        assertTrue(foreign.isEmpty(), "libraries of other platforms than this build's (" + arch + ") do not belong in the "
                + "image's resources (the resource-config.json of plugins/vosk and libs/webrtc): " + foreign);
        for (String page : List.of("index.html", "console.js", "console.css")) {
            assertTrue(resourceIncluded("META-INF/resources/" + page), "the web console: " + page);
        }
    }

    private static boolean resourceIncluded(String resource) {
        return sources.resourceIncluded(resource);
    }

    private static boolean hasNoArgConstructor(NativeSources.Metadata metadata, String className) {
        for (JsonNode type : metadata.entries("reflect", className)) {
            if (type.path("allDeclaredConstructors").asBoolean() || type.path("allPublicConstructors").asBoolean()) {
                return true;
            }
            for (JsonNode method : type.path("methods")) {
                if (method.path("name").asText().equals("<init>") && method.path("parameterTypes").isEmpty()) {
                    return true;
                }
            }
        }
        return false;
    }

    private static boolean registered(String kind, String className, String flag) {
        return sources.registered(kind, className, flag);
    }
}
