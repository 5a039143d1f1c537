package dev.earshot.gateway.health;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Liveness;

import java.time.Duration;

/** Live while every event loop keeps running tasks: a loop blocked longer than the limit means a stuck gateway. */
@Liveness
@ApplicationScoped
public class EventLoopLivenessCheck implements HealthCheck {

    @Inject
    EventLoopMonitor monitor;

    /** How long an event loop may go without running a probe before liveness reports DOWN. */
    @ConfigProperty(name = "earshot.health.event-loop-timeout", defaultValue = "10s")
    Duration timeout;

    @Override
    public HealthCheckResponse call() {
        long lag = monitor.worstLagMillis();
        return HealthCheckResponse.named("event-loops")
                .status(lag < timeout.toMillis())
                .withData("eventLoops", monitor.eventLoops())
                .withData("worstLagMs", lag)
                .build();
    }
}
