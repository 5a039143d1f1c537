package dev.earshot.gateway.health;

import dev.earshot.gateway.Gateway;
import dev.earshot.gateway.runtime.GatewayRuntime;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Startup;

/** Started once plugins are loaded, models are loaded and pipelines are built. */
@Startup
@ApplicationScoped
public class RuntimeStartupCheck implements HealthCheck {

    @Inject
    Gateway gateway;

    @Override
    public HealthCheckResponse call() {
        GatewayRuntime runtime = gateway.runtime();
        GatewayRuntime.State state = runtime == null ? GatewayRuntime.State.NEW : runtime.state();
        return HealthCheckResponse.named("runtime")
                .status(state == GatewayRuntime.State.RUNNING || state == GatewayRuntime.State.STOPPING)
                .withData("state", state.name().toLowerCase())
                .withData("engines", runtime == null ? 0 : runtime.engines().size())
                .build();
    }
}
