package dev.earshot.gateway;

import org.junit.jupiter.api.Test;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;
import org.objectweb.asm.tree.AbstractInsnNode;
import org.objectweb.asm.tree.ClassNode;
import org.objectweb.asm.tree.FieldNode;
import org.objectweb.asm.tree.LdcInsnNode;
import org.objectweb.asm.tree.MethodInsnNode;
import org.objectweb.asm.tree.MethodNode;
import org.objectweb.asm.tree.TypeInsnNode;

import java.io.IOException;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A class that native-image initialises at build time is run in the builder, and what its static fields hold is
 * written into the executable's heap. A random generator there repeats the same sequence in every process (GraalVM
 * refuses to build: "Detected an instance of Random/SplittableRandom class in the image heap"); a thread, executor,
 * socket or native handle there is dead or dangling at run time. This reads which classes are initialised at build
 * time from what the native-sources build gives GraalVM ({@code --initialize-at-build-time} /
 * {@code --initialize-at-run-time} in {@code native-image.args} and every {@code native-image.properties}, and the
 * calls of the generated Quarkus features to {@code RuntimeClassInitialization}; the most specific rule wins), then
 * looks at the bytecode of every such class of ours and of the native bindings we configure: no static field of such
 * a type, and no static initialiser that creates one.
 */
class NativeClassInitIT {

    /** Our classes and the native bindings whose metadata our jars provide. */
    private static final List<String> CHECKED_PACKAGES = List.of("dev.earshot.", "org.vosk.", "com.sun.jna.", "dev.onvoid.webrtc.");
    /** State that must never be in the image heap: generators, threads, handles of the running process. */
    private static final List<String> PROCESS_STATE = List.of("java.util.Random", "java.util.SplittableRandom",
            "java.lang.Thread", "java.lang.ThreadGroup", "java.util.concurrent.ExecutorService", "java.util.Timer",
            "java.lang.Process", "java.nio.channels.Channel", "java.net.Socket", "java.net.ServerSocket",
            "java.net.DatagramSocket", "io.vertx.core.Vertx", "io.netty.channel.EventLoopGroup", "com.sun.jna.Pointer",
            "com.sun.jna.PointerType", "com.sun.jna.NativeLibrary", "dev.onvoid.webrtc.internal.NativeObject");
    private static final String RUNTIME_CLASS_INITIALIZATION = "org/graalvm/nativeimage/hosted/RuntimeClassInitialization";

    @Test
    void noClassInitialisedAtBuildTimeHoldsProcessState() throws Exception {
        NativeSources sources = NativeSources.read();
        InitPolicy policy = InitPolicy.of(sources);
        List<String> violations = new ArrayList<>();
        int checked = 0;
        try (URLClassLoader loader = sources.classLoader()) {
            List<Class<?>> forbidden = new ArrayList<>();
            for (String name : PROCESS_STATE) {
                forbidden.add(Class.forName(name, false, loader));
            }
            for (Path jar : sources.classPath) {
                for (String className : NativeSources.classNames(jar)) {
                    if (CHECKED_PACKAGES.stream().noneMatch(className::startsWith) || !policy.buildTime(className)) {
                        continue;
                    }
                    checked++;
                    ClassNode node = new ClassNode();
                    new ClassReader(sources.classBytes(className)).accept(node, ClassReader.SKIP_DEBUG);
                    for (FieldNode field : node.fields) {
                        if ((field.access & Opcodes.ACC_STATIC) != 0) {
                            processState(loader, forbidden, Type.getType(field.desc)).ifPresent(type -> violations.add(
                                    className + "." + field.name + " is a static " + type));
                        }
                    }
                    node.methods.stream().filter(m -> m.name.equals("<clinit>")).findFirst()
                            .ifPresent(clinit -> violations.addAll(createdInInitialiser(className, clinit, loader, forbidden)));
                }
            }
        }
        assertTrue(checked > 100, "classes initialised at build time were found and checked: " + checked + " (" + policy + ")");
        assertTrue(violations.isEmpty(), "classes initialised at build time (" + policy + ") hold the running "
                + "process's state in static fields, which would be frozen into the image heap. Keep it in an instance, "
                + "or in a holder class declared --initialize-at-run-time in native-config's native-image.properties:\n  "
                + String.join("\n  ", violations));
    }

    /** {@code new X} of such a type, or such a value stored straight into a static field. */
    private static List<String> createdInInitialiser(String className, MethodNode clinit, ClassLoader loader, List<Class<?>> forbidden) {
        List<String> found = new ArrayList<>();
        for (AbstractInsnNode insn : clinit.instructions) {
            if (insn instanceof TypeInsnNode type && insn.getOpcode() == Opcodes.NEW) {
                processState(loader, forbidden, Type.getObjectType(type.desc))
                        .ifPresent(t -> found.add(className + ".<clinit> creates a " + t));
            } else if (insn instanceof MethodInsnNode call && next(insn) != null && next(insn).getOpcode() == Opcodes.PUTSTATIC) {
                processState(loader, forbidden, Type.getReturnType(call.desc)).ifPresent(t -> found.add(className
                        + ".<clinit> stores the " + t + " of " + call.owner.replace('/', '.') + "." + call.name + " in a static field"));
            }
        }
        return found;
    }

    private static Optional<String> processState(ClassLoader loader, List<Class<?>> forbidden, Type type) {
        Type element = type.getSort() == Type.ARRAY ? type.getElementType() : type;
        if (element.getSort() != Type.OBJECT) {
            return Optional.empty();
        }
        Class<?> value;
        try {
            value = Class.forName(element.getClassName(), false, loader);
        } catch (ClassNotFoundException | LinkageError e) {
            return Optional.empty();
        }
        return forbidden.stream().filter(f -> f.isAssignableFrom(value)).findFirst()
                .map(f -> type.getClassName() + (f == value ? "" : " (a " + f.getName() + ")"));
    }

    private static AbstractInsnNode next(AbstractInsnNode insn) {
        AbstractInsnNode next = insn.getNext();
        while (next != null && next.getOpcode() < 0) {
            next = next.getNext();
        }
        return next;
    }

    /**
     * GraalVM's class initialisation rules as this build gives them: names (class or package prefixes) initialised at
     * build time or at run time; the most specific name that matches a class decides, and a class no rule names is
     * initialised at run time (GraalVM's default).
     */
    record InitPolicy(Set<String> buildPrefixes, Set<String> runPrefixes) {

        static InitPolicy of(NativeSources sources) {
            InitPolicy policy = new InitPolicy(new HashSet<>(), new HashSet<>());
            List<String> features = new ArrayList<>();
            for (String arg : sources.allImageArgs()) {
                policy.addArg(arg, "--initialize-at-build-time", policy.buildPrefixes);
                policy.addArg(arg, "--initialize-at-run-time", policy.runPrefixes);
                if (arg.startsWith("--features=")) {
                    features.addAll(List.of(arg.substring("--features=".length()).split(",")));
                }
            }
            for (String feature : features) {
                byte[] bytes = sources.classBytes(feature);
                if (bytes != null) {
                    policy.readFeature(bytes);
                }
            }
            return policy;
        }

        private void addArg(String arg, String option, Set<String> into) {
            if (arg.equals(option)) {
                into.add("");
            } else if (arg.startsWith(option + "=")) {
                for (String name : arg.substring(option.length() + 1).split(",")) {
                    into.add(name.trim());
                }
            }
        }

        /**
         * Reads a feature's calls to {@code RuntimeClassInitialization.initializeAt(Build|Run)Time}: with strings, the
         * constants loaded before the call; with classes, the names the feature passed to {@code Class.forName} and
         * collected before the call.
         */
        private void readFeature(byte[] bytes) {
            ClassNode node = new ClassNode();
            new ClassReader(bytes).accept(node, ClassReader.SKIP_DEBUG);
            for (MethodNode method : node.methods) {
                List<String> constants = new ArrayList<>();
                List<String> classes = new ArrayList<>();
                String lastConstant = null;
                for (AbstractInsnNode insn : method.instructions) {
                    if (insn instanceof LdcInsnNode ldc && ldc.cst instanceof String text) {
                        constants.add(text);
                        lastConstant = text;
                    } else if (insn instanceof LdcInsnNode ldc && ldc.cst instanceof Type type) {
                        classes.add(type.getClassName());
                    } else if (insn instanceof MethodInsnNode call) {
                        if (call.owner.equals("java/lang/Class") && call.name.equals("forName") && lastConstant != null) {
                            classes.add(lastConstant);
                        } else if (call.owner.equals(RUNTIME_CLASS_INITIALIZATION)) {
                            boolean build = call.name.equals("initializeAtBuildTime");
                            if (build || call.name.equals("initializeAtRunTime")) {
                                (build ? buildPrefixes : runPrefixes).addAll(call.desc.contains("String") ? constants : classes);
                            }
                            constants.clear();
                            classes.clear();
                        }
                    }
                }
            }
        }

        boolean buildTime(String className) {
            return longestMatch(buildPrefixes, className) > longestMatch(runPrefixes, className);
        }

        private static int longestMatch(Set<String> names, String className) {
            int longest = -1;
            for (String name : names) {
                boolean matches = name.isEmpty() || className.equals(name) || className.startsWith(name + ".");
                if (matches) {
                    longest = Math.max(longest, name.length());
                }
            }
            return longest;
        }

        @Override
        public String toString() {
            return "build time: " + (buildPrefixes.contains("") ? "every class but those named for run time" : buildPrefixes)
                    + "; run time: " + runPrefixes.size() + " names";
        }
    }
}
