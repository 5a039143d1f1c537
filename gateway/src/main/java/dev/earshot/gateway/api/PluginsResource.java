package dev.earshot.gateway.api;

import dev.earshot.gateway.Gateway;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import java.util.Comparator;
import java.util.List;

/** The installed plugins. */
@Path("/api/plugins")
@Produces(MediaType.APPLICATION_JSON)
public class PluginsResource {

    @Inject
    Gateway gateway;

    /** Each plugin with its version, state (and failure), location and the component types it provides. */
    @GET
    public List<Views.PluginView> list() {
        return Resources.runtime(gateway).plugins().plugins().stream()
                .sorted(Comparator.comparing(p -> p.name()))
                .map(Views.PluginView::of).toList();
    }
}
