package dev.earshot.gateway.api;

import dev.earshot.gateway.Gateway;
import dev.earshot.gateway.runtime.GatewayRuntime;
import dev.earshot.gateway.plugin.LoadedPlugin;
import dev.earshot.gateway.plugin.PluginFolder;
import dev.earshot.gateway.plugin.PluginInstallException;
import io.smallrye.common.annotation.Blocking;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.InputStream;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/** The plugins: list, install (jar upload) and uninstall on the running gateway. */
@Path("/api/plugins")
@Produces(MediaType.APPLICATION_JSON)
public class PluginsResource {

    private static final Logger LOG = Logger.getLogger(PluginsResource.class);

    @Inject
    Gateway gateway;

    /** Each plugin with its version, SPI version, state (and failure), location and the component types it provides. */
    @GET
    public List<Views.PluginView> list() {
        return Resources.runtime(gateway).plugins().plugins().stream()
                .sorted(Comparator.comparing(p -> p.name()))
                .map(Views.PluginView::of).toList();
    }

    /** One plugin, as in the list, with the options each of its factories declares (key, type, default, ...). */
    @GET
    @Path("{id}")
    public Views.PluginDetailView get(@PathParam("id") String id) {
        return Resources.runtime(gateway).plugins().plugin(id).map(Views.PluginDetailView::of)
                .orElseThrow(() -> ApiError.of(Response.Status.NOT_FOUND, "no plugin '" + id + "'"));
    }

    /**
     * Installs a plugin jar (the request body) into the plugins folder and starts it. With {@code ?sha256=<hex>} the
     * upload must have that SHA-256. Needs the API token (or a loopback caller when none is set). The body is streamed
     * to a temporary file (never held in memory, at most {@code earshot.api.max-plugin-size}) and checked there before
     * any of its code runs (see {@link PluginFolder}).
     */
    @POST
    @Blocking
    @Consumes({"application/java-archive", MediaType.APPLICATION_OCTET_STREAM, "application/zip"})
    public Response install(InputStream body, @QueryParam("sha256") String sha256) {
        GatewayRuntime runtime = Resources.runtime(gateway);
        PluginFolder folder = gateway.pluginFolder();
        try {
            PluginFolder.Staged staged = folder.stage(body, gateway.maxPluginSize(), Optional.ofNullable(sha256),
                    runtime.plugins()::plugin);
            LoadedPlugin plugin = folder.commit(staged);
            try {
                runtime.install(plugin);
            } catch (PluginInstallException e) {
                deleteQuietly(folder, plugin);
                throw e;
            }
            return Response.status(Response.Status.CREATED).entity(Views.PluginView.of(plugin)).build();
        } catch (PluginInstallException e) {
            throw error(e);
        }
    }

    /**
     * Uninstalls a plugin: refused (409) while a running pipeline uses it, naming the pipelines. Closes its class
     * loader and deletes its jar.
     */
    @DELETE
    @Path("{id}")
    @Blocking
    public Views.PluginView uninstall(@PathParam("id") String id) {
        GatewayRuntime runtime = Resources.runtime(gateway);
        try {
            LoadedPlugin plugin = runtime.uninstall(id);
            Views.PluginView view = Views.PluginView.of(plugin);
            deleteQuietly(gateway.pluginFolder(), plugin);
            return view;
        } catch (PluginInstallException e) {
            throw error(e);
        }
    }

    private static void deleteQuietly(PluginFolder folder, LoadedPlugin plugin) {
        try {
            folder.delete(plugin);
        } catch (IOException e) {
            LOG.errorf("plugin '%s': cannot delete %s: %s", plugin.name(), plugin.location(), e.getMessage());
        }
    }

    private static WebApplicationException error(PluginInstallException e) {
        int status = switch (e.reason()) {
            case INVALID -> 400;
            case CONFLICT, IN_USE -> 409;
            case NOT_FOUND -> 404;
            case TOO_LARGE -> 413;
            case UNTRUSTED -> 403;
        };
        return new WebApplicationException(e.getMessage(), ApiError.response(status, e.getMessage()).build());
    }
}
