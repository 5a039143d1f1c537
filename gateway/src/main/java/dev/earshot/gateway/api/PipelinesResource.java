package dev.earshot.gateway.api;

import dev.earshot.gateway.Gateway;
import dev.earshot.gateway.runtime.GatewayRuntime;
import dev.earshot.gateway.pipeline.Pipeline;
import dev.earshot.gateway.session.SessionRefusedException;
import dev.earshot.gateway.runtime.PipelineChangeException;
import dev.earshot.gateway.settings.GatewayConfigException;
import dev.earshot.gateway.settings.PipelineSpec;
import io.smallrye.common.annotation.Blocking;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Pipelines: their state, components, counters and spec; start and stop; add, replace and remove the ones that are
 * not in the configuration file ({@code PUT}/{@code DELETE}, stored in the data folder).
 */
@Path("/api/pipelines")
@Produces(MediaType.APPLICATION_JSON)
public class PipelinesResource {

    @Inject
    Gateway gateway;

    /** Largest pipeline spec {@code PUT} accepts; larger bodies get 413. */
    static final int MAX_SPEC_BYTES = 64 * 1024;

    @GET
    public List<Views.PipelineView> list() {
        GatewayRuntime runtime = Resources.runtime(gateway);
        return runtime.pipelines().stream().map(p -> Views.PipelineView.of(p, runtime)).toList();
    }

    @GET
    @Path("{name}")
    public Views.PipelineView get(@PathParam("name") String name) {
        GatewayRuntime runtime = Resources.runtime(gateway);
        return Views.PipelineView.of(Resources.pipeline(runtime, name), runtime);
    }

    /**
     * Adds a pipeline, or replaces one added this way, from a JSON spec with the keys of the configuration file (see
     * {@link PipelineSpec}); starts it when {@code enabled} (the default). 201 when new, 200 when replaced; 400 naming
     * each key and its fix, with nothing created; 409 for a pipeline of the configuration file, or one with sessions
     * open unless {@code ?force=true}. Stored in {@code <data-dir>/pipelines/<name>.json}: it comes back after a
     * restart.
     */
    @PUT
    @Path("{name}")
    @Blocking
    @Consumes(MediaType.APPLICATION_JSON)
    public Response put(@PathParam("name") String name, InputStream body, @QueryParam("force") boolean force) {
        GatewayRuntime runtime = Resources.runtime(gateway);
        String text = readSpec(body);
        try {
            GatewayRuntime.PipelinePut put = runtime.put(PipelineSpec.parse(name, text), force);
            return Response.status(put.created() ? Response.Status.CREATED : Response.Status.OK)
                    .entity(Views.PipelineView.of(put.pipeline(), runtime)).build();
        } catch (GatewayConfigException e) {
            throw ApiError.of(Response.Status.BAD_REQUEST, e.getMessage().replaceFirst("^invalid configuration",
                    "invalid pipeline '" + name + "'"));
        } catch (PipelineChangeException e) {
            throw error(e);
        }
    }

    /**
     * Stops and removes a pipeline added through the API, and its stored spec. Refused (409) while it has sessions,
     * unless {@code ?force=true} (they are ended, then aborted after the drain time), and for pipelines of the
     * configuration file.
     */
    @DELETE
    @Path("{name}")
    @Blocking
    public Views.PipelineView delete(@PathParam("name") String name, @QueryParam("force") boolean force) {
        GatewayRuntime runtime = Resources.runtime(gateway);
        try {
            return Views.PipelineView.of(runtime.remove(name, force), runtime);
        } catch (PipelineChangeException e) {
            throw error(e);
        }
    }

    /** The request body as text, at most {@link #MAX_SPEC_BYTES}; never more is read. */
    private static String readSpec(InputStream body) {
        if (body == null) {
            throw ApiError.of(Response.Status.BAD_REQUEST, "send the pipeline spec as a JSON body, e.g. "
                    + "{\"engine\": \"vosk\", \"sinks\": [\"log\"]}");
        }
        try {
            byte[] bytes = body.readNBytes(MAX_SPEC_BYTES + 1);
            if (bytes.length > MAX_SPEC_BYTES) {
                throw ApiError.of(Response.Status.REQUEST_ENTITY_TOO_LARGE, "the pipeline spec is larger than "
                        + MAX_SPEC_BYTES / 1024 + " KiB");
            }
            if (bytes.length == 0) {
                throw ApiError.of(Response.Status.BAD_REQUEST, "send the pipeline spec as a JSON body, e.g. "
                        + "{\"engine\": \"vosk\", \"sinks\": [\"log\"]}");
            }
            return new String(bytes, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw ApiError.of(Response.Status.BAD_REQUEST, "cannot read the request body: " + e.getMessage());
        }
    }

    private static WebApplicationException error(PipelineChangeException e) {
        Response.Status status = switch (e.reason()) {
            case INVALID -> Response.Status.BAD_REQUEST;
            case READ_ONLY, BUSY -> Response.Status.CONFLICT;
            case NOT_FOUND -> Response.Status.NOT_FOUND;
            case STORAGE -> Response.Status.INTERNAL_SERVER_ERROR;
        };
        return ApiError.of(status, e.getMessage());
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
        return Views.PipelineView.of(pipeline, runtime);
    }

    /** Stops a pipeline: its sessions are ended (finals flushed) within the drain time, then aborted. */
    @POST
    @Path("{name}/stop")
    @Blocking
    public Views.PipelineView stop(@PathParam("name") String name) {
        GatewayRuntime runtime = Resources.runtime(gateway);
        Pipeline pipeline = Resources.pipeline(runtime, name);
        pipeline.stop(runtime.settings().drainTimeout());
        return Views.PipelineView.of(pipeline, runtime);
    }
}
