package dev.earshot.gateway.api;

import dev.earshot.gateway.Gateway;
import dev.earshot.gateway.runtime.GatewayRuntime;
import dev.earshot.gateway.pipeline.Pipeline;
import jakarta.ws.rs.core.Response;

/** Look-ups shared by the resources, failing with API errors. */
final class Resources {

    private Resources() {
    }

    static GatewayRuntime runtime(Gateway gateway) {
        GatewayRuntime runtime = gateway.runtime();
        if (runtime == null) {
            throw ApiError.of(Response.Status.SERVICE_UNAVAILABLE, "the gateway is starting");
        }
        return runtime;
    }

    static Pipeline pipeline(GatewayRuntime runtime, String name) {
        return runtime.pipeline(name).orElseThrow(() -> ApiError.of(Response.Status.NOT_FOUND, "unknown pipeline '" + name
                + "' (available: " + String.join(", ", runtime.pipelines().stream().map(Pipeline::name).sorted().toList()) + ")"));
    }
}
