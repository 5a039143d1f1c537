package dev.earshot.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.Field;
import java.lang.reflect.Member;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Native code finds Java classes, methods and fields by name through JNI ({@code FindClass}, {@code GetMethodID},
 * {@code GetFieldID}, ...). In a native executable only what the JNI metadata registers can be found: anything else
 * is a {@code NoClassDefFoundError} or {@code NoSuchMethodError} at run time (JNA could not start without
 * {@code java.nio.ByteBuffer}; webrtc-java ended the process on the first WHIP offer without
 * {@code Iterable.iterator()}). The names are C strings in the shared objects themselves, so this reads them from the
 * libraries the image carries (JNA's {@code libjnidispatch.so}, webrtc-java's library, libvosk) and checks every class
 * they name, and every method and field of such a class whose name and descriptor both occur in the library, against
 * the JNI metadata of the native-sources build. A linker may store a short string as the tail of a longer one, so a
 * name counts as present when some string ends with it; that can only ask for more than is looked up, never less.
 */
class NativeJniLookupsIT {

    /** JNI class names as C strings: {@code java/nio/ByteBuffer} or {@code Ljava/nio/ByteBuffer;}. */
    private static final Pattern CLASS_NAME = Pattern.compile("\\[*L?([a-z][a-z0-9_]*(?:/[A-Za-z0-9_$]+)+);?");
    /**
     * Classes a library names on paths the gateway never takes, each with the reason. webrtc-java describes desktop
     * capture frames with AWT's {@code Dimension} and {@code Rectangle}; the gateway receives audio only, and
     * registering them would bring AWT into the image.
     */
    private static final Set<String> NOT_ON_THE_GATEWAYS_PATHS = Set.of("java.awt.Dimension", "java.awt.Rectangle");

    @Test
    void jnaDispatchLibraryFindsEverythingItLooksUp() throws Exception {
        List<String> found = check("com/sun/jna/" + jnaPlatform() + "/libjnidispatch.so", false);
        assertTrue(found.containsAll(List.of("java.nio.ByteBuffer", "java.nio.ByteBuffer.array()",
                "java.lang.Boolean.TYPE", "com.sun.jna.Callback$UncaughtExceptionHandler.uncaughtException(com.sun.jna.Callback,java.lang.Throwable)")),
                "libjnidispatch's lookups were read: " + found);
    }

    /** webrtc-java finds classes through {@code ClassLoader.loadClass}: they need reflection metadata as well. */
    @Test
    void webrtcJavaLibraryFindsEverythingItLooksUp() throws Exception {
        List<String> found = check("libwebrtc-java-" + jnaPlatform().replace("x86-64", "x86_64").replace("-arm", "-aarch32") + ".so", true);
        assertTrue(found.containsAll(List.of("java.lang.Iterable", "java.lang.Iterable.iterator()",
                "java.lang.ClassLoader.loadClass(java.lang.String)", "dev.onvoid.webrtc.RTCPeerConnection")),
                "webrtc-java's lookups were read: " + found);
    }

    /** libvosk is called through JNA and calls nothing back by JNI; should a new version do so, this covers it. */
    @Test
    void voskLibraryFindsEverythingItLooksUp() throws Exception {
        if (jnaPlatform().equals("linux-x86-64")) {
            check("linux-x86-64/libvosk.so", false);
        }
    }

    /** Checks one library; returns what it looks up ({@code class}, {@code class.method(params)}, {@code class.field}). */
    private static List<String> check(String library, boolean classLoaderLookups) throws Exception {
        NativeSources sources = NativeSources.read();
        Strings strings = Strings.of(sources, library);
        List<String> found = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        try (URLClassLoader loader = sources.classLoader()) {
            for (String className : strings.classNames()) {
                Class<?> type;
                try {
                    type = Class.forName(className, false, loader);
                } catch (ClassNotFoundException | LinkageError e) {
                    continue; // a string shaped like a class name that names none (a file path, a symbol)
                }
                if (NOT_ON_THE_GATEWAYS_PATHS.contains(className)) {
                    continue;
                }
                found.add(className);
                if (sources.entries("jni", className).isEmpty()) {
                    missing.add(className + " (the class)");
                }
                if (classLoaderLookups && sources.entries("reflect", className).isEmpty()) {
                    missing.add(className + " (the class, for reflection: the library loads it with ClassLoader.loadClass)");
                }
                for (Member member : members(type)) {
                    if (!strings.contains(name(member)) || !strings.contains(descriptor(member))) {
                        continue;
                    }
                    String shown = className + "." + shown(member);
                    found.add(shown);
                    if (!covered(sources, type, member)) {
                        missing.add(shown + " " + descriptor(member));
                    }
                }
            }
        }
        assertTrue(missing.isEmpty(), library + " looks these up by JNI, but the JNI metadata of the native-sources build "
                + "(the jni-config.json or reachability-metadata.json of the jar carrying the binding) does not register them: a native "
                + "executable would fail with NoClassDefFoundError/NoSuchMethodError/NoSuchFieldError there:\n  "
                + String.join("\n  ", missing));
        return found;
    }

    /**
     * What native code can look up on a class: its own constructors, methods and fields, and inherited public ones.
     * For JDK classes only the public API: these libraries do not reach into the JDK's private fields.
     */
    private static List<Member> members(Class<?> type) {
        Set<Member> members = new LinkedHashSet<>();
        members.addAll(Arrays.asList(type.getDeclaredConstructors()));
        members.addAll(Arrays.asList(type.getDeclaredMethods()));
        members.addAll(Arrays.asList(type.getMethods()));
        members.addAll(Arrays.asList(type.getDeclaredFields()));
        members.addAll(Arrays.asList(type.getFields()));
        boolean jdk = type.getClassLoader() == null || type.getName().startsWith("java.");
        return members.stream().filter(m -> !m.isSynthetic())
                .filter(m -> !jdk || Modifier.isPublic(m.getModifiers())).toList();
    }

    /**
     * As GraalVM resolves a JNI lookup: a constructor on the class itself; a method or field on the class or, failing
     * that, its superclasses and interfaces, wherever the metadata registers one of that name and descriptor.
     */
    private static boolean covered(NativeSources sources, Class<?> type, Member member) {
        String key = name(member) + descriptor(member);
        List<Class<?>> owners = member instanceof Constructor<?> ? List.of(type) : hierarchy(type);
        for (Class<?> owner : owners) {
            for (JsonNode entry : sources.entries("jni", owner.getName())) {
                if (registered(owner, entry).contains(key)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static List<Class<?>> hierarchy(Class<?> type) {
        Set<Class<?>> all = new LinkedHashSet<>();
        List<Class<?>> pending = new ArrayList<>(List.of(type));
        while (!pending.isEmpty()) {
            Class<?> next = pending.remove(0);
            if (next != null && all.add(next)) {
                pending.add(next.getSuperclass());
                pending.addAll(Arrays.asList(next.getInterfaces()));
            }
        }
        return List.copyOf(all);
    }

    /** The members (name + descriptor) one metadata entry registers on its class. */
    private static Set<String> registered(Class<?> owner, JsonNode entry) {
        Set<String> keys = new LinkedHashSet<>();
        for (Constructor<?> c : owner.getDeclaredConstructors()) {
            if (entry.path("allDeclaredConstructors").asBoolean() || entry.path("allPublicConstructors").asBoolean()
                    && Modifier.isPublic(c.getModifiers()) || listed(entry.path("methods"), "<init>", c)) {
                keys.add(name(c) + descriptor(c));
            }
        }
        for (Method m : owner.getDeclaredMethods()) {
            if (entry.path("allDeclaredMethods").asBoolean() || entry.path("allPublicMethods").asBoolean()
                    && Modifier.isPublic(m.getModifiers()) || listed(entry.path("methods"), m.getName(), m)) {
                keys.add(name(m) + descriptor(m));
            }
        }
        if (entry.path("allPublicMethods").asBoolean()) {
            Arrays.stream(owner.getMethods()).forEach(m -> keys.add(name(m) + descriptor(m)));
        }
        for (Field f : owner.getDeclaredFields()) {
            if (entry.path("allDeclaredFields").asBoolean() || entry.path("allPublicFields").asBoolean()
                    && Modifier.isPublic(f.getModifiers()) || listed(entry.path("fields"), f.getName(), null)) {
                keys.add(name(f) + descriptor(f));
            }
        }
        return keys;
    }

    private static boolean listed(JsonNode members, String name, Executable executable) {
        for (JsonNode listed : members) {
            if (!listed.path("name").asText().equals(name)) {
                continue;
            }
            if (executable == null) {
                return true;
            }
            List<String> wanted = new ArrayList<>();
            listed.path("parameterTypes").forEach(p -> wanted.add(p.asText()));
            List<Class<?>> actual = List.of(executable.getParameterTypes());
            if (wanted.size() == actual.size() && java.util.stream.IntStream.range(0, wanted.size()).allMatch(i ->
                    wanted.get(i).equals(actual.get(i).getTypeName()) || wanted.get(i).equals(actual.get(i).getName()))) {
                return true;
            }
        }
        return false;
    }

    private static String name(Member member) {
        return member instanceof Constructor<?> ? "<init>" : member.getName();
    }

    private static String descriptor(Member member) {
        if (member instanceof Field field) {
            return org.objectweb.asm.Type.getDescriptor(field.getType());
        }
        return member instanceof Method method ? org.objectweb.asm.Type.getMethodDescriptor(method)
                : org.objectweb.asm.Type.getConstructorDescriptor((Constructor<?>) member);
    }

    private static String shown(Member member) {
        if (member instanceof Field) {
            return member.getName();
        }
        Class<?>[] parameters = ((Executable) member).getParameterTypes();
        return name(member) + "(" + String.join(",", Arrays.stream(parameters).map(Class::getTypeName).toList()) + ")";
    }

    private static String jnaPlatform() {
        return switch (System.getProperty("os.arch")) {
            case "amd64", "x86_64" -> "linux-x86-64";
            case "aarch64" -> "linux-aarch64";
            default -> "linux-arm";
        };
    }

    /** The NUL-terminated printable strings of a shared object, with suffix lookup (linkers merge string tails). */
    private record Strings(Set<String> all, TreeSet<String> reversed) {

        static Strings of(NativeSources sources, String entryName) throws IOException {
            byte[] bytes = null;
            for (Path jar : sources.classPath) {
                try (JarFile file = new JarFile(jar.toFile())) {
                    JarEntry entry = file.getJarEntry(entryName);
                    if (entry != null) {
                        try (InputStream in = file.getInputStream(entry)) {
                            bytes = in.readAllBytes();
                        }
                    }
                }
            }
            assertNotNull(bytes, entryName + " is on the image class path");
            Set<String> all = new LinkedHashSet<>();
            int start = 0;
            for (int i = 0; i <= bytes.length; i++) {
                if (i == bytes.length || bytes[i] == 0) {
                    if (i > start && i - start < 512 && printable(bytes, start, i)) {
                        all.add(new String(bytes, start, i - start, java.nio.charset.StandardCharsets.ISO_8859_1));
                    }
                    start = i + 1;
                }
            }
            TreeSet<String> reversed = new TreeSet<>();
            all.forEach(s -> reversed.add(new StringBuilder(s).reverse().toString()));
            return new Strings(all, reversed);
        }

        private static boolean printable(byte[] bytes, int from, int to) {
            for (int i = from; i < to; i++) {
                if (bytes[i] < 32 || bytes[i] > 126) {
                    return false;
                }
            }
            return true;
        }

        boolean contains(String text) {
            if (all.contains(text)) {
                return true;
            }
            String key = new StringBuilder(text).reverse().toString();
            String candidate = reversed.ceiling(key);
            return candidate != null && candidate.startsWith(key);
        }

        /** Binary names ({@code a.b.C$D}) of every string shaped like a JNI class name. */
        Set<String> classNames() {
            Set<String> names = new TreeSet<>();
            for (String s : all) {
                Matcher matcher = CLASS_NAME.matcher(s);
                if (matcher.matches()) {
                    names.add(matcher.group(1).replace('/', '.'));
                }
            }
            return names;
        }
    }
}
