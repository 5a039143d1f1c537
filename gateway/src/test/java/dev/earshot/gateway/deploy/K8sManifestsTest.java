package dev.earshot.gateway.deploy;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import org.junit.jupiter.api.Test;

import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every overlay in k8s/overlays renders, parses strictly and keeps the rules of docs/deployment.md. */
class K8sManifestsTest {

    /** quarkus.shutdown.timeout in application.properties: the HTTP server's wait after the drain. */
    private static final int HTTP_CLOSE_SECONDS = 3;

    @Test
    void everyOverlayRendersIntoKnownTypesWithoutUnknownFields() throws Exception {
        List<Path> overlays = Manifests.overlays();
        assertEquals(List.of("cluster", "edge", "edge-microphone"),
                overlays.stream().map(p -> p.getFileName().toString()).toList());
        for (Path overlay : overlays) {
            List<HasMetadata> objects = Manifests.parse(Manifests.render(overlay));
            checkGateway(overlay.getFileName().toString(), objects);
        }
    }

    @Test
    void clusterIsAStatefulSetSpreadOverNodesWithItsSpoolOnAClaimServiceAndDisruptionBudget() throws Exception {
        List<HasMetadata> objects = Manifests.parse(Manifests.render(Manifests.OVERLAYS.resolve("cluster")));
        assertEquals(Set.of("ConfigMap", "Service", "StatefulSet", "PodDisruptionBudget", "NetworkPolicy"), kinds(objects));
        StatefulSet statefulSet = Manifests.all(objects, StatefulSet.class).get(0);
        assertEquals(2, statefulSet.getSpec().getReplicas());
        assertEquals("earshot", statefulSet.getSpec().getServiceName());
        PodDisruptionBudget budget = Manifests.all(objects, PodDisruptionBudget.class).get(0);
        assertEquals(1, budget.getSpec().getMaxUnavailable().getIntVal());
        assertSelects(budget.getSpec().getSelector().getMatchLabels(), statefulSet.getSpec().getTemplate());

        // The spool (earshot.data-dir) on each replica's own claim, not on a volume of the pod.
        PersistentVolumeClaim claim = statefulSet.getSpec().getVolumeClaimTemplates().get(0);
        VolumeMount data = mount(Manifests.gateway(objects), claim.getMetadata().getName());
        assertEquals(properties(objects).getProperty("earshot.data-dir"), data.getMountPath());
        assertFalse(statefulSet.getSpec().getTemplate().getSpec().getVolumes().stream()
                .anyMatch(v -> v.getName().equals(claim.getMetadata().getName())), "no pod volume shadows the claim");
        assertEquals(List.of("ReadWriteOnce"), claim.getSpec().getAccessModes());

        var spread = statefulSet.getSpec().getTemplate().getSpec().getTopologySpreadConstraints();
        assertEquals(1, spread.size(), "replicas spread over nodes");
        assertEquals("kubernetes.io/hostname", spread.get(0).getTopologyKey());
        assertSelects(spread.get(0).getLabelSelector().getMatchLabels(), statefulSet.getSpec().getTemplate());
    }

    @Test
    void serviceMonitorComponentScrapesTheMetricsThroughTheServicesHttpPort() throws Exception {
        Path overlay = Files.createTempDirectory(Path.of("target"), "k8s-monitor-");
        Files.writeString(overlay.resolve("kustomization.yaml"), """
                apiVersion: kustomize.config.k8s.io/v1beta1
                kind: Kustomization
                resources:
                  - %s
                components:
                  - %s
                """.formatted(relative(overlay, Manifests.OVERLAYS.resolve("cluster")),
                relative(overlay, Manifests.K8S.resolve("components/service-monitor"))));
        String yaml = Manifests.render(overlay);
        List<String> documents = List.of(yaml.split("(?m)^---\\s*$"));
        String monitor = documents.stream().filter(d -> d.contains("kind: ServiceMonitor")).findFirst()
                .orElseThrow(() -> new AssertionError("no ServiceMonitor in\n" + yaml));
        List<HasMetadata> objects = Manifests.parse(String.join("---\n", documents.stream().filter(d -> d != monitor).toList()));
        Service service = Manifests.all(objects, Service.class).get(0);
        assertTrue(monitor.contains("apiVersion: monitoring.coreos.com/v1"), monitor);
        assertTrue(monitor.contains("- path: /q/metrics") || monitor.contains("path: /q/metrics"), monitor);
        assertTrue(monitor.contains("port: http"), monitor);
        assertTrue(service.getSpec().getPorts().stream().anyMatch(p -> p.getName().equals("http")), "the Service names its port http");
        service.getMetadata().getLabels().forEach((key, value) -> {
            if (key.equals("app.kubernetes.io/name") || key.equals("app.kubernetes.io/component")) {
                assertTrue(monitor.contains(key + ": " + value), "the ServiceMonitor selects the Service by " + key);
            }
        });
    }

    @Test
    void edgeIsADaemonSetOnLabelledNodesWithTheModelFromTheNode() throws Exception {
        List<HasMetadata> objects = Manifests.parse(Manifests.render(Manifests.OVERLAYS.resolve("edge")));
        assertEquals(Set.of("ConfigMap", "Service", "DaemonSet", "NetworkPolicy"), kinds(objects));
        DaemonSet daemonSet = Manifests.all(objects, DaemonSet.class).get(0);
        PodSpec pod = daemonSet.getSpec().getTemplate().getSpec();
        assertEquals(Map.of("earshot.dev/edge", "true"), pod.getNodeSelector());
        Volume model = volume(pod, "model");
        assertEquals("/opt/earshot/model", model.getHostPath().getPath());
        VolumeMount modelMount = mount(Manifests.gateway(objects), "model");
        assertTrue(modelMount.getReadOnly());
        String configured = properties(objects).getProperty("earshot.engines.vosk.model");
        assertTrue(configured.startsWith(modelMount.getMountPath() + "/"), "the engine reads the mounted model: " + configured);
        assertEquals("Local", Manifests.all(objects, Service.class).get(0).getSpec().getInternalTrafficPolicy());
        assertFalse(pod.getVolumes().stream().anyMatch(v -> v.getName().equals("snd")), "no /dev/snd without the component");
        // The spool on the node's disk; every port on the node's address for clients on the LAN (Home Assistant).
        assertEquals("/var/lib/earshot", volume(pod, "data").getHostPath().getPath());
        Manifests.gateway(objects).getPorts().forEach(p ->
                assertEquals(p.getContainerPort(), p.getHostPort(), "hostPort of " + p.getName()));

        List<HasMetadata> withMicrophone = Manifests.parse(Manifests.render(Manifests.OVERLAYS.resolve("edge-microphone")));
        PodSpec micPod = Manifests.podTemplate(withMicrophone).getSpec();
        assertEquals("/dev/snd", volume(micPod, "snd").getHostPath().getPath());
        assertEquals("/dev/snd", mount(Manifests.gateway(withMicrophone), "snd").getMountPath());
        assertTrue(micPod.getSecurityContext().getSupplementalGroups().contains(29L), "the audio group");
    }

    @Test
    void misspelledFieldsAndUnknownKindsAreRejected() {
        String typo = """
                apiVersion: apps/v1
                kind: Deployment
                metadata:
                  name: x
                spec:
                  template:
                    spec:
                      containers:
                        - name: gateway
                          readinesProbe:
                            httpGet: {path: /q/health/ready, port: 8080}
                """;
        AssertionError error = assertThrows(AssertionError.class, () -> Manifests.parse(typo));
        assertTrue(error.getMessage().contains("Deployment/x.spec.template.spec.containers[0]: unknown field(s) [readinesProbe]"),
                error.getMessage());
        String kind = "apiVersion: apps/v1\nkind: DaemonSett\nmetadata:\n  name: y\n";
        AssertionError unknownKind = assertThrows(AssertionError.class, () -> Manifests.parse(kind));
        assertTrue(unknownKind.getMessage().contains("DaemonSett"), unknownKind.getMessage());
    }

    /** The rules every overlay keeps; see docs/deployment.md. */
    private static void checkGateway(String overlay, List<HasMetadata> objects) {
        PodTemplateSpec template = Manifests.podTemplate(objects);
        PodSpec pod = template.getSpec();
        Container gateway = Manifests.gateway(objects);
        String where = overlay + ": ";

        assertTrue(pod.getSecurityContext().getRunAsNonRoot(), where + "runAsNonRoot");
        assertEquals("RuntimeDefault", pod.getSecurityContext().getSeccompProfile().getType(), where + "seccomp");
        var security = gateway.getSecurityContext();
        assertFalse(security.getAllowPrivilegeEscalation(), where + "allowPrivilegeEscalation");
        assertTrue(security.getReadOnlyRootFilesystem(), where + "readOnlyRootFilesystem");
        assertEquals(List.of("ALL"), security.getCapabilities().getDrop(), where + "capabilities");
        assertTrue(security.getCapabilities().getAdd() == null || security.getCapabilities().getAdd().isEmpty(), where + "no capabilities added");

        assertNotNull(gateway.getResources().getRequests().get("memory"), where + "memory request");
        assertNotNull(gateway.getResources().getLimits().get("memory"), where + "memory limit");
        assertNotNull(gateway.getResources().getRequests().get("cpu"), where + "cpu request");

        // Writable places on a read-only root: /tmp (JNA unpacks its libraries) and the data folder.
        Properties config = properties(objects);
        String dataDir = config.getProperty("earshot.data-dir");
        assertNotNull(dataDir, where + "earshot.data-dir is set");
        for (String writable : List.of("/tmp", dataDir)) {
            assertTrue(gateway.getVolumeMounts().stream().anyMatch(m -> (writable + "/").startsWith(m.getMountPath() + "/")
                    && !Boolean.TRUE.equals(m.getReadOnly())), where + writable + " is on a writable volume");
        }
        VolumeMount configMount = gateway.getVolumeMounts().stream().filter(m -> m.getMountPath().equals("/deployments/config"))
                .findFirst().orElseThrow(() -> new AssertionError(where + "config/ mounted in the gateway's home"));
        String configMap = volume(pod, configMount.getName()).getConfigMap().getName();
        assertTrue(Manifests.all(objects, ConfigMap.class).stream().anyMatch(c -> c.getMetadata().getName().equals(configMap)),
                where + "the mounted ConfigMap exists");
        // The token: from the operator's Secret, never from these manifests; without the Secret the pod does not start.
        assertTrue(Manifests.all(objects, Secret.class).isEmpty(), where + "no Secret (no token) in the manifests");
        var token = gateway.getEnv().stream().filter(e -> e.getName().equals("EARSHOT_API_TOKEN")).findFirst()
                .orElseThrow(() -> new AssertionError(where + "the API token comes from a Secret"));
        assertEquals("earshot-api-token", token.getValueFrom().getSecretKeyRef().getName(), where + "the token's Secret");
        assertFalse(Boolean.TRUE.equals(token.getValueFrom().getSecretKeyRef().getOptional()), where + "the Secret is required");

        // Every listener bound for the pod, not for its loopback.
        for (String host : List.of("QUARKUS_HTTP_HOST", "EARSHOT_INGEST_VOSK_HOST", "EARSHOT_INGEST_WYOMING_HOST")) {
            assertEquals("0.0.0.0", gateway.getEnv().stream().filter(e -> e.getName().equals(host)).findFirst()
                    .orElseThrow(() -> new AssertionError(where + host + " is set")).getValue(), where + host);
        }
        // The image's entrypoint carries the Pi-class profile (JVM flags, malloc settings): nothing here replaces it.
        assertTrue((gateway.getCommand() == null || gateway.getCommand().isEmpty())
                && (gateway.getArgs() == null || gateway.getArgs().isEmpty()), where + "no command or args: the image's entrypoint runs");
        assertTrue(gateway.getEnv().stream().noneMatch(e -> e.getName().equals("JAVA_TOOL_OPTIONS") || e.getName().startsWith("MALLOC_")),
                where + "no JVM or malloc settings besides the image's Pi-class profile");
        // Recommended labels on every object; Prometheus scrape annotations on the pods.
        for (HasMetadata object : objects) {
            Map<String, String> labels = object.getMetadata().getLabels();
            for (String label : List.of("app.kubernetes.io/name", "app.kubernetes.io/component", "app.kubernetes.io/part-of",
                    "app.kubernetes.io/version", "app.kubernetes.io/managed-by")) {
                assertTrue(labels != null && labels.containsKey(label), where + object.getKind() + " has label " + label);
            }
        }
        assertEquals(Map.of("prometheus.io/scrape", "true", "prometheus.io/port", "8080", "prometheus.io/path", "/q/metrics"),
                template.getMetadata().getAnnotations(), where + "scrape annotations");

        // Probes: the health endpoints, on the container's HTTP port; start-up allows a slow device minutes.
        Map<String, Probe> probes = Map.of("/q/health/started", gateway.getStartupProbe(), "/q/health/live",
                gateway.getLivenessProbe(), "/q/health/ready", gateway.getReadinessProbe());
        ContainerPort http = gateway.getPorts().stream().filter(p -> "http".equals(p.getName())).findFirst()
                .orElseThrow(() -> new AssertionError(where + "a port named http"));
        probes.forEach((path, probe) -> {
            assertNotNull(probe, where + path + " probe");
            assertEquals(path, probe.getHttpGet().getPath(), where + "probe path");
            assertEquals("http", probe.getHttpGet().getPort().getStrVal(), where + path + " on the http port");
        });
        Probe startup = gateway.getStartupProbe();
        assertTrue(startup.getPeriodSeconds() * startup.getFailureThreshold() >= 120, where + "start-up may take 2 min or more");

        // Stopping: preStop pause + drain + HTTP close fit in the grace period.
        long preStop = gateway.getLifecycle().getPreStop().getSleep().getSeconds();
        long drain = Duration.parse("PT" + config.getProperty("earshot.runtime.drain-timeout", "10s").toUpperCase()).toSeconds();
        long grace = pod.getTerminationGracePeriodSeconds();
        assertTrue(grace > preStop + drain + HTTP_CLOSE_SECONDS, where + "terminationGracePeriodSeconds " + grace
                + " > preStop " + preStop + " + drain " + drain + " + " + HTTP_CLOSE_SECONDS);

        // Every ingest port (HTTP, vosk-server, Wyoming) is a container port, in the Service and in the NetworkPolicy,
        // at the port the gateway listens on (pipelines.properties or the defaults); nothing else is.
        Map<String, Integer> ingest = Map.of("http", 8080,
                "vosk", Integer.parseInt(config.getProperty("earshot.ingest.vosk.port", "2700")),
                "wyoming", Integer.parseInt(config.getProperty("earshot.ingest.wyoming.port", "10300")));
        Map<String, Integer> containerPorts = new HashMap<>();
        gateway.getPorts().forEach(p -> containerPorts.put(p.getName(), p.getContainerPort()));
        assertEquals(ingest, containerPorts, where + "container ports");
        for (Service service : Manifests.all(objects, Service.class)) {
            assertSelects(service.getSpec().getSelector(), template);
            Map<String, Integer> exposed = new HashMap<>();
            service.getSpec().getPorts().forEach(p -> exposed.put(p.getTargetPort().getStrVal(), p.getPort()));
            assertEquals(ingest, exposed, where + "Service ports by target port name");
        }
        List<NetworkPolicy> policies = Manifests.all(objects, NetworkPolicy.class);
        assertEquals(1, policies.size(), where + "one NetworkPolicy");
        NetworkPolicy policy = policies.get(0);
        assertEquals(List.of("Ingress"), policy.getSpec().getPolicyTypes());
        assertSelects(policy.getSpec().getPodSelector().getMatchLabels(), template);
        Set<Integer> allowed = new TreeSet<>();
        policy.getSpec().getIngress().forEach(rule -> rule.getPorts().forEach(p -> allowed.add(p.getPort().getIntVal())));
        assertEquals(new TreeSet<>(ingest.values()), allowed, where + "ingress to every ingest port and nothing else");
    }

    private static void assertSelects(Map<String, String> selector, PodTemplateSpec template) {
        assertNotNull(selector);
        assertFalse(selector.isEmpty(), "a selector that selects every pod");
        Map<String, String> labels = new HashMap<>(template.getMetadata().getLabels());
        selector.forEach((key, value) -> assertEquals(value, labels.get(key), "pod label " + key));
    }

    /** kustomize takes only relative paths to other kustomizations. */
    private static Path relative(Path from, Path to) {
        return from.toAbsolutePath().normalize().relativize(to.toAbsolutePath().normalize());
    }

    private static Set<String> kinds(List<HasMetadata> objects) {
        Set<String> kinds = new TreeSet<>();
        objects.forEach(o -> kinds.add(o.getKind()));
        return kinds;
    }

    private static Volume volume(PodSpec pod, String name) {
        return pod.getVolumes().stream().filter(v -> v.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no volume " + name));
    }

    private static VolumeMount mount(Container container, String name) {
        return container.getVolumeMounts().stream().filter(m -> m.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no volume mount " + name));
    }

    static Properties properties(List<HasMetadata> objects) {
        List<ConfigMap> maps = Manifests.all(objects, ConfigMap.class);
        assertEquals(1, maps.size(), "one ConfigMap with the gateway's configuration");
        Properties properties = new Properties();
        try {
            properties.load(new StringReader(maps.get(0).getData().get("application.properties")));
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
        return properties;
    }
}
