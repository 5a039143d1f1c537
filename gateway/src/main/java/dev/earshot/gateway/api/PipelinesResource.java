package dev.earshot.gateway.api;

import dev.earshot.gateway.Gateway;
import dev.earshot.gateway.runtime.GatewayRuntime;
import dev.earshot.gateway.pipeline.Pipeline;
import dev.earshot.gateway.session.SessionRefusedException;
import io.smallrye.common.annotation.Blocking;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.util.List;

/** Pipelines: their state, components and counters; start and stop. */
@Path("/api/pipelines")
@Produces(MediaType.APPLICATION_JSON)
public class PipelinesResource {

    @Inject
    Gateway gateway;

    @GET
    public List<Views.PipelineView> list() {
        return Resources.runtime(gateway).pipelines().stream().map(Views.PipelineView::of).toList();
    }

    @GET
    @Path("{name}")
    public Views.PipelineView get(@PathParam("name") String name) {
        return Views.PipelineView.of(Resources.pipeline(Resources.runtime(gateway), name));
    }

    /** Starts a stopped or failed pipeline. Needs the API token (or a loopback caller when none is set). */
    @POST
    @Path("{name}/start")
    @Blocking
    public Views.PipelineView start(@PathParam("name") String name) {
        GatewayRuntime runtime = Resources.runtime(gateway);
        Pipeline pipeline = Resources.pipeline(runtime, name);
        try {
            pipeline.start();
        } catch (SessionRefusedException e) {
            throw ApiError.of(Response.Status.CONFLICT, e.getMessage());
        } catch (IllegalStateException e) {
            throw ApiError.of(Response.Status.INTERNAL_SERVER_ERROR, e.getMessage());
        }
        return Views.PipelineView.of(pipeline);
    }

    /** Stops a pipeline: its sessions are ended (finals flushed) within the drain time, then aborted. */
    @POST
    @Path("{name}/stop")
    @Blocking
    public Views.PipelineView stop(@PathParam("name") String name) {
        GatewayRuntime runtime = Resources.runtime(gateway);
        Pipeline pipeline = Resources.pipeline(runtime, name);
        pipeline.stop(runtime.settings().drainTimeout());
        return Views.PipelineView.of(pipeline);
    }
}
