package dev.earshot.gateway.health;

import dev.earshot.gateway.Gateway;
import dev.earshot.gateway.session.EngineInstance;
import dev.earshot.gateway.runtime.GatewayRuntime;
import dev.earshot.spi.engine.EngineHealth;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/**
 * DOWN while an engine reports itself degraded or down (e.g. a Wyoming engine restarting its program: sessions stay
 * open but their audio is dropped), with the engine's own explanation; UP again as soon as it recovers.
 */
@Readiness
@ApplicationScoped
public class EnginesReadinessCheck implements HealthCheck {

    @Inject
    Gateway gateway;

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder response = HealthCheckResponse.named("engines");
        GatewayRuntime runtime = gateway.runtime();
        if (runtime == null) {
            return response.down().withData("reason", "starting").build();
        }
        boolean up = true;
        for (EngineInstance engine : runtime.engines()) {
            EngineHealth health = engine.health();
            String status = health.status().name().toLowerCase();
            response.withData(engine.id(), health.detail().isEmpty() ? status : status + ": " + health.detail());
            up &= health.status() == EngineHealth.Status.UP;
        }
        return response.status(up).build();
    }
}
