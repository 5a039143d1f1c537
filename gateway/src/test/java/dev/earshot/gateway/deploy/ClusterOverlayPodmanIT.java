package dev.earshot.gateway.deploy;

import dev.earshot.gateway.GatewayContainer;
import dev.earshot.gateway.Podman;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The cluster overlay, rendered by {@code kubectl kustomize}, run by {@code podman kube play} (the closest pod runtime
 * here: no Kubernetes API server can run on these machines). It gets ready through the manifest's own readiness probe
 * path and port, transcribes with the operator's token, and drains on {@code podman pod stop}.
 *
 * <p>What this test changes in the rendered manifests, and only because podman differs from Kubernetes:
 * <ul>
 *   <li>The StatefulSet becomes a Deployment of one replica (podman 4.3 plays Deployments, not StatefulSets), and its
 *       volume claim template a PersistentVolumeClaim (a podman named volume) mounted by the pod;</li>
 *   <li>the Secret the operator creates with kubectl becomes {@code podman secret create earshot-api-token} holding
 *       the Secret's data map (the form podman reads for {@code secretKeyRef});</li>
 *   <li>probe ports named {@code http} become the number 8080 (podman turns a named port into 0);</li>
 *   <li>the http container port gets {@code hostIP: 127.0.0.1} and a free {@code hostPort}, in place of the Service
 *       (podman ignores Services, NetworkPolicies and PodDisruptionBudgets, which are therefore left out);</li>
 *   <li>the image is this build's (deploy/build-images tags it with the project version) and the workload's name is
 *       unique to the run, so that it cannot meet another run's pod.</li>
 * </ul>
 */
class ClusterOverlayPodmanIT {

    private static final KubernetesSerialization YAML = new KubernetesSerialization();

    @Test
    void clusterOverlayGetsReadyThroughItsProbeTranscribesWithTheTokenAndDrainsOnPodStop() throws Exception {
        Podman.require("podman", "runc", "debootstrap", "kubectl");
        String image = Podman.buildImage("amd64");
        String name = "earshot-it-" + UUID.randomUUID().toString().substring(0, 8);
        int port = freePort();

        List<HasMetadata> rendered = Manifests.parse(Manifests.render(Manifests.OVERLAYS.resolve("cluster")));
        StatefulSet statefulSet = Manifests.all(rendered, StatefulSet.class).get(0);
        PodTemplateSpec template = statefulSet.getSpec().getTemplate();
        Container gateway = template.getSpec().getContainers().get(0);
        Probe readiness = gateway.getReadinessProbe();
        ContainerPort probed = gateway.getPorts().stream()
                .filter(p -> p.getName().equals(readiness.getHttpGet().getPort().getStrVal())).findFirst().orElseThrow();

        PersistentVolumeClaim claimTemplate = statefulSet.getSpec().getVolumeClaimTemplates().get(0);
        String claimName = name + "-" + claimTemplate.getMetadata().getName();
        PersistentVolumeClaim claim = new PersistentVolumeClaimBuilder(claimTemplate).editMetadata().withName(claimName)
                .endMetadata().build();
        template.getSpec().getVolumes().add(new VolumeBuilder().withName(claimTemplate.getMetadata().getName())
                .withNewPersistentVolumeClaim().withClaimName(claimName).endPersistentVolumeClaim().build());
        gateway.setImage(image);
        for (Probe probe : List.of(gateway.getStartupProbe(), gateway.getLivenessProbe(), readiness)) {
            probe.getHttpGet().setPort(new IntOrString(probed.getContainerPort()));
        }
        probed.setHostIP("127.0.0.1");
        probed.setHostPort(port);
        Deployment deployment = new DeploymentBuilder().withNewMetadata().withName(name)
                .withLabels(statefulSet.getMetadata().getLabels()).endMetadata()
                .withNewSpec().withReplicas(1).withSelector(statefulSet.getSpec().getSelector()).withTemplate(template)
                .endSpec().build();
        List<String> documents = new ArrayList<>();
        Manifests.all(rendered, ConfigMap.class).forEach(c -> documents.add(YAML.asYaml(c)));
        documents.add(YAML.asYaml(claim));
        documents.add(YAML.asYaml(deployment));
        Path played = Files.createTempFile(Path.of("target").toAbsolutePath(), "cluster-overlay-", ".yaml");
        Files.writeString(played, String.join("\n---\n", documents));

        String secret = gateway.getEnv().stream().filter(e -> e.getName().equals("EARSHOT_API_TOKEN")).findFirst()
                .orElseThrow().getValueFrom().getSecretKeyRef().getName();
        Path secretData = Files.createTempFile("earshot-secret", ".json");
        Files.writeString(secretData, "{\"token\": \"" + Base64.getEncoder().encodeToString(
                GatewayContainer.TOKEN.getBytes(StandardCharsets.UTF_8)) + "\"}");
        Podman.podman(Duration.ofSeconds(30), "secret", "rm", secret);
        try {
            Podman.podman(Duration.ofSeconds(30), "secret", "create", secret, secretData.toString()).assertOk("podman secret create");
            Podman.podman(Duration.ofMinutes(3), "kube", "play", played.toString()).assertOk("podman kube play");
            // podman names the pod after the Deployment (with a suffix) and the container after pod and container.
            String pod = Podman.podman(Duration.ofSeconds(30), "pod", "ps", "--filter", "name=" + name, "--format", "{{.Name}}")
                    .assertOk("podman pod ps").output().strip().lines().findFirst().orElseThrow();
            String container = Podman.podman(Duration.ofSeconds(30), "ps", "-a", "--filter", "pod=" + pod, "--format", "{{.Names}}")
                    .assertOk("podman ps").output().lines().filter(n -> n.endsWith("-" + gateway.getName())).findFirst()
                    .orElseThrow(() -> new AssertionError("no gateway container in pod " + pod));

            HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            URI ready = URI.create("http://127.0.0.1:" + port + readiness.getHttpGet().getPath());
            long deadline = System.nanoTime() + Duration.ofSeconds(readiness.getPeriodSeconds() * 30L).toNanos();
            int status = -1;
            while (status != 200 && System.nanoTime() < deadline) {
                try {
                    status = client.send(HttpRequest.newBuilder(ready).timeout(Duration.ofSeconds(readiness.getTimeoutSeconds())).build(),
                            HttpResponse.BodyHandlers.discarding()).statusCode();
                } catch (java.io.IOException e) {
                    // not listening yet
                }
                if (status != 200) {
                    Thread.sleep(500);
                }
            }
            assertEquals(200, status, "ready through " + ready + "; log:\n" + logs(container));
            // The liveness probe, which podman turns into the container's health check (curl in the image).
            Podman.podman(Duration.ofSeconds(60), "healthcheck", "run", container).assertOk("the liveness probe as health check");

            Path clip = Path.of("/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0930.wav");
            URI transcribe = URI.create("http://127.0.0.1:" + port + "/api/transcribe");
            HttpResponse<String> refused = client.send(HttpRequest.newBuilder(transcribe).header("Content-Type", "audio/wav")
                    .POST(HttpRequest.BodyPublishers.ofFile(clip)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(401, refused.statusCode(), "no token, no transcription: " + refused.body());
            HttpResponse<String> reply = client.send(HttpRequest.newBuilder(transcribe).header("Content-Type", "audio/wav")
                    .header("Authorization", "Bearer " + GatewayContainer.TOKEN)
                    .POST(HttpRequest.BodyPublishers.ofFile(clip)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, reply.statusCode(), reply.body());
            assertEquals("he might even have been made amiable himself", GatewayContainer.text(reply.body()));

            Podman.podman(Duration.ofSeconds(90), "pod", "stop", "-t", "40", pod).assertOk("podman pod stop");
            String log = logs(container);
            assertEquals("0", Podman.podman(Duration.ofSeconds(30), "inspect", "--format", "{{.State.ExitCode}}", container)
                    .output().strip(), "exit code after podman pod stop; log:\n" + log);
            assertTrue(log.contains("SIGTERM: readiness DOWN, new sessions refused, draining"), log);
            assertTrue(log.contains("earshot drained in") && log.contains("earshot stopped in"), log);
        } finally {
            Podman.podman(Duration.ofMinutes(2), "kube", "down", played.toString());
            Podman.podman(Duration.ofSeconds(30), "volume", "rm", "-f", claimName);
            for (ConfigMap map : Manifests.all(rendered, ConfigMap.class)) {
                Podman.podman(Duration.ofSeconds(30), "volume", "rm", "-f", map.getMetadata().getName());
            }
            Podman.podman(Duration.ofSeconds(30), "secret", "rm", secret);
            Files.deleteIfExists(secretData);
        }
    }

    private static String logs(String container) throws Exception {
        return Podman.podman(Duration.ofSeconds(30), "logs", container).output();
    }

    private static int freePort() throws java.io.IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
