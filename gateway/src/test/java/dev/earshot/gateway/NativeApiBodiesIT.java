package dev.earshot.gateway;

import org.junit.jupiter.api.Test;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;
import org.objectweb.asm.tree.AbstractInsnNode;
import org.objectweb.asm.tree.ClassNode;
import org.objectweb.asm.tree.MethodInsnNode;
import org.objectweb.asm.tree.MethodNode;
import org.objectweb.asm.tree.VarInsnNode;
import org.objectweb.asm.tree.analysis.Analyzer;
import org.objectweb.asm.tree.analysis.AnalyzerException;
import org.objectweb.asm.tree.analysis.BasicValue;
import org.objectweb.asm.tree.analysis.Frame;
import org.objectweb.asm.tree.analysis.SimpleVerifier;
import org.objectweb.asm.tree.analysis.SourceInterpreter;
import org.objectweb.asm.tree.analysis.SourceValue;

import java.lang.annotation.Annotation;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Jackson serialises an API body by reflection, so in a native executable every body type needs reflection metadata.
 * Quarkus registers the types a resource method declares it returns, but not a body inside {@code Response} or
 * {@code CompletionStage<Response>}, nor one written with an {@code ObjectMapper} (a native {@code POST
 * /api/transcribe} answered 500: "Jackson was unable to serialize type ...TranscribeResource$Transcript"). This
 * finds every body type of the gateway: the declared return types of the resource methods, and, in the bytecode of
 * every gateway class, the static type of each value handed to {@code Response.ok}/{@code ResponseBuilder.entity} or
 * to an {@code ObjectMapper}, Vert.x's {@code Json} or {@code RoutingContext.json} (a streaming route too; also
 * through helper methods that pass an {@code Object} parameter on); then the types
 * their properties reach. Each must be registered for reflection (methods and fields) in the metadata of the
 * native-sources build, which holds what Quarkus generated.
 */
class NativeApiBodiesIT {

    private static final String GATEWAY = "dev.earshot.gateway.";
    private static final Set<String> HTTP_METHODS = Set.of("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD");
    /** Calls whose {@code Object} argument is serialised as JSON. */
    private static final List<Sink> SERIALISERS = List.of(
            new Sink("jakarta/ws/rs/core/Response", "ok", null), new Sink("jakarta/ws/rs/core/Response$ResponseBuilder", "entity", null),
            new Sink("com/fasterxml/jackson/databind/ObjectMapper", "writeValueAsString", null),
            new Sink("com/fasterxml/jackson/databind/ObjectMapper", "writeValueAsBytes", null),
            new Sink("com/fasterxml/jackson/databind/ObjectMapper", "writeValue", null),
            new Sink("com/fasterxml/jackson/databind/ObjectMapper", "valueToTree", null),
            new Sink("com/fasterxml/jackson/databind/ObjectWriter", "writeValueAsString", null),
            new Sink("com/fasterxml/jackson/databind/ObjectWriter", "writeValueAsBytes", null),
            new Sink("com/fasterxml/jackson/databind/ObjectWriter", "writeValue", null),
            new Sink("io/vertx/core/json/Json", "encode", null), new Sink("io/vertx/core/json/Json", "encodePrettily", null),
            new Sink("io/vertx/core/json/Json", "encodeToBuffer", null), new Sink("io/vertx/core/json/JsonObject", "mapFrom", null),
            new Sink("io/vertx/ext/web/RoutingContext", "json", null));

    @Test
    void everyApiBodyTypeIsRegisteredForReflection() throws Exception {
        NativeSources sources = NativeSources.read();
        Map<String, String> bodies = new TreeMap<>(); // type -> where it was found
        List<String> unknown = new ArrayList<>();
        try (URLClassLoader loader = sources.classLoader()) {
            List<String> gatewayClasses = NativeSources.classNames(sources.runner).stream()
                    .filter(n -> n.startsWith(GATEWAY)).toList();
            for (String className : gatewayClasses) {
                Class<?> type = Class.forName(className, false, loader);
                if (annotation(type.getAnnotations(), "jakarta.ws.rs.Path")) {
                    for (Method method : type.getDeclaredMethods()) {
                        if (Modifier.isPublic(method.getModifiers()) && HTTP_METHODS.stream()
                                .anyMatch(m -> annotation(method.getAnnotations(), "jakarta.ws.rs." + m))) {
                            for (Class<?> body : bodyTypes(method.getGenericReturnType())) {
                                bodies.putIfAbsent(body.getName(), className + "." + method.getName() + " returns it");
                            }
                        }
                    }
                }
            }
            List<ClassNode> nodes = new ArrayList<>();
            for (String className : gatewayClasses) {
                ClassNode node = new ClassNode();
                new ClassReader(sources.classBytes(className)).accept(node, 0);
                nodes.add(node);
            }
            List<Sink> sinks = new ArrayList<>(SERIALISERS);
            for (boolean grew = true; grew; ) {
                grew = false;
                for (ClassNode node : nodes) {
                    for (MethodNode method : node.methods) {
                        grew |= serialisedIn(node, method, sinks, loader, bodies, unknown);
                    }
                }
            }
            Set<Class<?>> reached = new LinkedHashSet<>();
            for (String body : List.copyOf(bodies.keySet())) {
                reach(Class.forName(body, false, loader), reached);
            }
            reached.forEach(t -> bodies.putIfAbsent(t.getName(), "a property of a body type"));
        }
        assertTrue(unknown.isEmpty(), "JSON bodies whose type the bytecode does not show (Object): give the value its "
                + "type before it is serialised, so that this check and Quarkus can see it:\n  " + String.join("\n  ", unknown));
        assertTrue(bodies.keySet().containsAll(List.of("dev.earshot.gateway.api.ApiError",
                "dev.earshot.gateway.api.Views$PipelineView", "dev.earshot.gateway.protocol.upload.TranscribeRoute$Transcript")),
                "the API's body types were found: " + bodies.keySet());
        List<String> missing = new ArrayList<>();
        bodies.forEach((body, where) -> {
            boolean methods = sources.registered("reflect", body, "allDeclaredMethods") || sources.registered("reflect", body, "allPublicMethods");
            boolean fields = sources.registered("reflect", body, "allDeclaredFields") || sources.registered("reflect", body, "allPublicFields");
            if (!methods || !fields) {
                missing.add(body + " (" + where + ")");
            }
        });
        assertTrue(missing.isEmpty(), "API body types that Jackson serialises by reflection are not registered for "
                + "reflection (methods and fields) in the native-sources build: a native executable would answer 500 "
                + "instead. Annotate each with @RegisterForReflection:\n  " + String.join("\n  ", missing));
    }

    /** A call whose last {@code Object} argument is serialised; a null descriptor matches every overload. */
    private record Sink(String owner, String name, String descriptor) {
        boolean matches(MethodInsnNode call) {
            return call.owner.equals(owner) && call.name.equals(name) && (descriptor == null || call.desc.equals(descriptor));
        }

        int argument(String callDescriptor) {
            Type[] arguments = Type.getArgumentTypes(callDescriptor);
            for (int i = arguments.length - 1; i >= 0; i--) {
                if (arguments[i].getDescriptor().equals("Ljava/lang/Object;")) {
                    return i;
                }
            }
            return -1;
        }
    }

    /**
     * Records the static type of every value this method serialises; a method that serialises one of its own
     * {@code Object} parameters becomes a sink itself (returns true when it is new).
     */
    private static boolean serialisedIn(ClassNode owner, MethodNode method, List<Sink> sinks, ClassLoader loader,
                                        Map<String, String> bodies, List<String> unknown) throws AnalyzerException {
        List<MethodInsnNode> calls = new ArrayList<>();
        for (AbstractInsnNode insn : method.instructions) {
            if (insn instanceof MethodInsnNode call && sinks.stream().anyMatch(s -> s.matches(call))
                    && Type.getArgumentTypes(call.desc).length > 0) {
                calls.add(call);
            }
        }
        if (calls.isEmpty()) {
            return false;
        }
        List<Type> interfaces = owner.interfaces.stream().map(Type::getObjectType).toList();
        SimpleVerifier verifier = new SimpleVerifier(Type.getObjectType(owner.name),
                owner.superName == null ? null : Type.getObjectType(owner.superName), interfaces,
                (owner.access & Opcodes.ACC_INTERFACE) != 0);
        verifier.setClassLoader(loader);
        Frame<BasicValue>[] types = new Analyzer<>(verifier).analyze(owner.name, method);
        Frame<SourceValue>[] origins = new Analyzer<>(new SourceInterpreter()).analyze(owner.name, method);
        boolean grew = false;
        for (MethodInsnNode call : calls) {
            Sink sink = sinks.stream().filter(s -> s.matches(call)).findFirst().orElseThrow();
            int argument = sink.argument(call.desc);
            int index = method.instructions.indexOf(call);
            if (argument < 0 || types[index] == null) {
                continue; // no Object argument, or unreachable code
            }
            int slot = types[index].getStackSize() - Type.getArgumentTypes(call.desc).length + argument;
            Type type = types[index].getStack(slot).getType();
            String where = owner.name.replace('/', '.') + "." + method.name + " serialises it";
            if (type != null && !type.getDescriptor().equals("Ljava/lang/Object;")) {
                if (type.getSort() == Type.OBJECT && type.getClassName().startsWith("dev.earshot.")) {
                    bodies.putIfAbsent(type.getClassName(), where);
                }
                continue;
            }
            int parameter = parameterLoadedBy(method, origins[index].getStack(slot));
            if (parameter >= 0) {
                Sink derived = new Sink(owner.name, method.name, method.desc);
                if (!sinks.contains(derived) && Type.getArgumentTypes(method.desc)[parameter].getDescriptor().equals("Ljava/lang/Object;")
                        && derived.argument(method.desc) == parameter) {
                    sinks.add(derived);
                    grew = true;
                }
            } else {
                unknown.add(where.replace(" serialises it", "") + " (an Object)");
            }
        }
        return grew;
    }

    /** The index of the parameter whose unchanged value this is, or -1. */
    private static int parameterLoadedBy(MethodNode method, SourceValue value) {
        if (value.insns.size() != 1 || !(value.insns.iterator().next() instanceof VarInsnNode load) || load.getOpcode() != Opcodes.ALOAD) {
            return -1;
        }
        for (AbstractInsnNode insn : method.instructions) {
            if (insn instanceof VarInsnNode store && store.getOpcode() == Opcodes.ASTORE && store.var == load.var) {
                return -1;
            }
        }
        int slot = (method.access & Opcodes.ACC_STATIC) != 0 ? 0 : 1;
        Type[] parameters = Type.getArgumentTypes(method.desc);
        for (int i = 0; i < parameters.length; i++) {
            if (slot == load.var) {
                return i;
            }
            slot += parameters[i].getSize();
        }
        return -1;
    }

    /** The types of ours a declared return type carries: {@code List<X>}, {@code CompletionStage<X>}, {@code X[]}. */
    private static Set<Class<?>> bodyTypes(java.lang.reflect.Type type) {
        Set<Class<?>> found = new LinkedHashSet<>();
        if (type instanceof ParameterizedType parameterized) {
            bodyTypes(parameterized.getRawType()).forEach(found::add);
            for (java.lang.reflect.Type argument : parameterized.getActualTypeArguments()) {
                found.addAll(bodyTypes(argument));
            }
        } else if (type instanceof GenericArrayType array) {
            found.addAll(bodyTypes(array.getGenericComponentType()));
        } else if (type instanceof Class<?> plain) {
            Class<?> element = plain.isArray() ? plain.getComponentType() : plain;
            if (element.getName().startsWith("dev.earshot.")) {
                found.add(element);
            }
        }
        return found;
    }

    /** Adds the type and, recursively, the types of ours its JSON properties (record components, getters) hold. */
    private static void reach(Class<?> type, Set<Class<?>> reached) {
        if (!type.getName().startsWith("dev.earshot.") || type.isEnum() || !reached.add(type)) {
            return;
        }
        List<java.lang.reflect.Type> properties = new ArrayList<>();
        if (type.isRecord()) {
            for (RecordComponent component : type.getRecordComponents()) {
                properties.add(component.getGenericType());
            }
        } else {
            for (Method method : type.getMethods()) {
                if (method.getParameterCount() == 0 && method.getDeclaringClass() != Object.class
                        && (method.getName().startsWith("get") || method.getName().startsWith("is"))) {
                    properties.add(method.getGenericReturnType());
                }
            }
        }
        for (java.lang.reflect.Type property : properties) {
            bodyTypes(property).forEach(t -> reach(t, reached));
        }
    }

    private static boolean annotation(Annotation[] annotations, String name) {
        for (Annotation annotation : annotations) {
            if (annotation.annotationType().getName().equals(name)) {
                return true;
            }
        }
        return false;
    }
}
