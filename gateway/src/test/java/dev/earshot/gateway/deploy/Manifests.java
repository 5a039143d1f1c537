package dev.earshot.gateway.deploy;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The Kubernetes manifests in {@code k8s/} as a cluster would receive them: rendered by {@code kubectl kustomize}
 * (installed by .ci/run), parsed into fabric8's typed models, with every field the models do not know reported
 * (a misspelled field would otherwise be dropped silently, as {@code kubectl --dry-run=client} does offline).
 */
final class Manifests {

    static final Path K8S = Path.of("../k8s");
    static final Path OVERLAYS = K8S.resolve("overlays");

    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    private Manifests() {
    }

    static List<Path> overlays() throws IOException {
        try (Stream<Path> dirs = Files.list(OVERLAYS)) {
            return dirs.filter(d -> Files.isRegularFile(d.resolve("kustomization.yaml"))).sorted().toList();
        }
    }

    /** {@code kubectl kustomize dir}; fails with kubectl's message when it fails. */
    static String render(Path dir) throws IOException, InterruptedException {
        Process process;
        try {
            process = new ProcessBuilder("kubectl", "kustomize", dir.toString()).redirectErrorStream(false).start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot run kubectl: install kubectl 1.27 or newer (.ci/run checks it)", e);
        }
        byte[] err;
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        err = process.getErrorStream().readAllBytes();
        if (process.waitFor() != 0) {
            throw new AssertionError("kubectl kustomize " + dir + " failed: " + new String(err, StandardCharsets.UTF_8));
        }
        return out;
    }

    /** Every document as a typed object; kinds the models do not know and unknown fields fail. */
    static List<HasMetadata> parse(String yaml) {
        List<HasMetadata> objects = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        for (String document : yaml.split("(?m)^---\\s*$")) {
            if (document.isBlank()) {
                continue;
            }
            HasMetadata object = SERIALIZATION.unmarshal(document, HasMetadata.class);
            String name = object.getKind() + "/" + (object.getMetadata() == null ? "?" : object.getMetadata().getName());
            if (object instanceof GenericKubernetesResource) {
                problems.add(name + ": kind " + object.getApiVersion() + " " + object.getKind() + " is not a known Kubernetes type");
            }
            unknownFields(object, name, problems);
            objects.add(object);
        }
        if (!problems.isEmpty()) {
            throw new AssertionError(String.join("\n", problems));
        }
        return objects;
    }

    /** Walks fabric8 model objects and reports every non-empty {@code additionalProperties} with its path. */
    static void unknownFields(Object node, String path, List<String> problems) {
        if (node == null) {
            return;
        }
        if (node instanceof Map<?, ?> map) {
            map.forEach((key, value) -> unknownFields(value, path + "." + key, problems));
            return;
        }
        if (node instanceof Collection<?> items) {
            int index = 0;
            for (Object item : items) {
                unknownFields(item, path + "[" + index++ + "]", problems);
            }
            return;
        }
        if (!node.getClass().getName().startsWith("io.fabric8.kubernetes.api.model")) {
            return;
        }
        for (Method getter : node.getClass().getMethods()) {
            String name = getter.getName();
            if (getter.getParameterCount() != 0 || Modifier.isStatic(getter.getModifiers()) || !name.startsWith("get")
                    || name.equals("getClass") || !getter.getDeclaringClass().getName().startsWith("io.fabric8.kubernetes.api.model")) {
                continue;
            }
            Object value;
            try {
                value = getter.invoke(node);
            } catch (IllegalAccessException | InvocationTargetException e) {
                continue;
            }
            if (name.equals("getAdditionalProperties")) {
                if (value instanceof Map<?, ?> extra && !extra.isEmpty()) {
                    problems.add(path + ": unknown field(s) " + extra.keySet());
                }
                continue;
            }
            String property = Character.toLowerCase(name.charAt(3)) + name.substring(4);
            unknownFields(value, path + "." + property, problems);
        }
    }

    static <T extends HasMetadata> List<T> all(List<HasMetadata> objects, Class<T> type) {
        return objects.stream().filter(type::isInstance).map(type::cast).toList();
    }

    /** The pod template of the overlay's one workload (Deployment, StatefulSet or DaemonSet). */
    static PodTemplateSpec podTemplate(List<HasMetadata> objects) {
        List<PodTemplateSpec> templates = new ArrayList<>();
        all(objects, Deployment.class).forEach(d -> templates.add(d.getSpec().getTemplate()));
        all(objects, DaemonSet.class).forEach(d -> templates.add(d.getSpec().getTemplate()));
        all(objects, StatefulSet.class).forEach(d -> templates.add(d.getSpec().getTemplate()));
        if (templates.size() != 1) {
            throw new AssertionError("one gateway workload per overlay, found " + templates.size());
        }
        return templates.get(0);
    }

    static Container gateway(List<HasMetadata> objects) {
        return podTemplate(objects).getSpec().getContainers().stream().filter(c -> c.getName().equals("gateway"))
                .findFirst().orElseThrow(() -> new AssertionError("no container named gateway"));
    }
}
