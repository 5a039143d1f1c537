package dev.earshot.gateway.health;

import dev.earshot.gateway.Gateway;
import dev.earshot.gateway.runtime.GatewayRuntime;
import dev.earshot.gateway.delivery.SinkChannel;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/**
 * DOWN while a sink's spool is full under policy {@code refuse}: the pipelines using it refuse new sessions (503), so
 * traffic should go elsewhere. A sink that is down but whose spool still has room keeps the gateway ready: its finals
 * are safe on disk. Per sink: {@code ok}, {@code failing, N spooled} or {@code refusing: ...}.
 */
@Readiness
@ApplicationScoped
public class SinksReadinessCheck implements HealthCheck {

    @Inject
    Gateway gateway;

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder response = HealthCheckResponse.named("sinks");
        GatewayRuntime runtime = gateway.runtime();
        if (runtime == null) {
            return response.down().withData("reason", "starting").build();
        }
        boolean up = true;
        for (SinkChannel sink : runtime.sinks()) {
            String refusal = sink.refusal();
            long spooled = sink.spool().events();
            if (refusal != null) {
                up = false;
                response.withData(sink.id(), "refusing: " + refusal);
            } else if (sink.failing() || spooled > 0) {
                response.withData(sink.id(), (sink.failing() ? "failing, " : "recovering, ") + spooled + " final(s) spooled");
            } else {
                response.withData(sink.id(), "ok");
            }
        }
        return response.status(up).build();
    }
}
