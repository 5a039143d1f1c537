package dev.earshot.gateway.api;

import dev.earshot.gateway.Gateway;
import dev.earshot.gateway.runtime.GatewayRuntime;
import dev.earshot.spi.source.SessionOutcome;
import jakarta.inject.Inject;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.util.List;

/** Open sessions. */
@Path("/api/sessions")
@Produces(MediaType.APPLICATION_JSON)
public class SessionsResource {

    @Inject
    Gateway gateway;

    /** Every open session, optionally of one pipeline, with queue depth and dropped-frame counters. */
    @GET
    public List<Views.SessionView> list(@QueryParam("pipeline") String pipeline) {
        GatewayRuntime runtime = Resources.runtime(gateway);
        if (pipeline != null && !pipeline.isBlank()) {
            return Resources.pipeline(runtime, pipeline).sessions().stream().map(Views.SessionView::of).toList();
        }
        return runtime.pipelines().stream().flatMap(p -> p.sessions().stream()).map(Views.SessionView::of).toList();
    }

    @GET
    @Path("{id}")
    public Views.SessionView get(@PathParam("id") String id) {
        return Views.SessionView.of(Resources.runtime(gateway).session(id).orElseThrow(
                () -> ApiError.of(Response.Status.NOT_FOUND, "no open session '" + id + "'")));
    }

    /** Aborts a session (queued audio discarded). Needs the API token (or a loopback caller when none is set). */
    @DELETE
    @Path("{id}")
    public Response close(@PathParam("id") String id) {
        Resources.runtime(gateway).session(id).orElseThrow(
                () -> ApiError.of(Response.Status.NOT_FOUND, "no open session '" + id + "'")).abort(SessionOutcome.aborted("closed through the API"));
        return Response.noContent().build();
    }
}
