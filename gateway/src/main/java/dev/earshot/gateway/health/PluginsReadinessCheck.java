package dev.earshot.gateway.health;

import dev.earshot.gateway.Gateway;
import dev.earshot.gateway.runtime.GatewayRuntime;
import dev.earshot.gateway.pipeline.Pipeline;
import dev.earshot.gateway.plugin.LoadedPlugin;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/**
 * Plugin failures (a start, stop or session hook that threw or overran), each with its message naming the plugin and
 * the hook. DOWN while an enabled pipeline that uses a failed plugin (or failed because of one) is not running; a
 * failure that no such pipeline suffers from is reported but keeps this check UP.
 */
@Readiness
@ApplicationScoped
public class PluginsReadinessCheck implements HealthCheck {

    @Inject
    Gateway gateway;

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder response = HealthCheckResponse.named("plugins");
        GatewayRuntime runtime = gateway.runtime();
        if (runtime == null) {
            return response.down().withData("reason", "starting").build();
        }
        boolean up = true;
        for (LoadedPlugin plugin : runtime.plugins().plugins()) {
            String failure = plugin.failure();
            if (failure == null) {
                continue;
            }
            response.withData(plugin.name(), failure);
            for (Pipeline pipeline : runtime.pipelines()) {
                String pipelineFailure = pipeline.failure();
                boolean affected = pipeline.uses(plugin) || pipelineFailure != null && pipelineFailure.contains(failure);
                if (pipeline.settings().enabled() && affected && pipeline.state() != Pipeline.State.RUNNING) {
                    up = false;
                }
            }
        }
        return response.status(up).build();
    }
}
