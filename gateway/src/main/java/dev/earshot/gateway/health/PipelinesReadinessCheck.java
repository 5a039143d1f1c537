package dev.earshot.gateway.health;

import dev.earshot.gateway.Gateway;
import dev.earshot.gateway.runtime.GatewayRuntime;
import dev.earshot.gateway.pipeline.Pipeline;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/**
 * Ready when the runtime is running, every enabled pipeline is running and its engine is loaded; DOWN from the
 * moment shutdown begins, so that traffic moves elsewhere before sessions are drained.
 */
@Readiness
@ApplicationScoped
public class PipelinesReadinessCheck implements HealthCheck {

    @Inject
    Gateway gateway;

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder response = HealthCheckResponse.named("pipelines");
        GatewayRuntime runtime = gateway.runtime();
        if (gateway.shuttingDown()) {
            return response.down().withData("reason", "shutting down").build();
        }
        if (runtime == null || runtime.state() != GatewayRuntime.State.RUNNING) {
            return response.down().withData("reason", runtime == null ? "starting" : runtime.state().name().toLowerCase()).build();
        }
        boolean up = true;
        for (Pipeline pipeline : runtime.pipelines()) {
            boolean running = pipeline.state() == Pipeline.State.RUNNING;
            if (pipeline.settings().enabled() && !running) {
                up = false;
            }
            String state = pipeline.state().name().toLowerCase();
            response.withData(pipeline.name(), pipeline.failure() == null ? state : state + ": " + pipeline.failure());
        }
        return response.status(up).build();
    }
}
