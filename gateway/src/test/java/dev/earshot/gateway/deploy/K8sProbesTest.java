package dev.earshot.gateway.deploy;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Probe;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.List;

import static io.restassured.RestAssured.when;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The probes every overlay declares ask the running gateway for paths it serves, on the port it listens on. */
@QuarkusTest
class K8sProbesTest {

    @Test
    void probePathsAndPortMatchTheRunningApp() throws Exception {
        // The port the packaged gateway listens on (tests run on a random one: quarkus.http.test-port).
        Properties packaged = new Properties();
        try (var in = Files.newInputStream(Path.of("src/main/resources/application.properties"))) {
            packaged.load(in);
        }
        int appPort = Integer.parseInt(packaged.getProperty("quarkus.http.port"));
        for (Path overlay : Manifests.overlays()) {
            List<HasMetadata> objects = Manifests.parse(Manifests.render(overlay));
            Container gateway = Manifests.gateway(objects);
            int containerPort = gateway.getPorts().stream().filter(p -> "http".equals(p.getName())).findFirst()
                    .orElseThrow().getContainerPort();
            assertEquals(appPort, containerPort, overlay + ": the container port is the gateway's quarkus.http.port");
            for (Probe probe : List.of(gateway.getStartupProbe(), gateway.getLivenessProbe(), gateway.getReadinessProbe())) {
                when().get(probe.getHttpGet().getPath()).then().statusCode(200).body("status", equalTo("UP"));
            }
        }
        when().get("/q/health/readyy").then().statusCode(404);
    }
}
