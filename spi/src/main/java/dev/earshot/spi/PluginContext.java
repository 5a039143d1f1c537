package dev.earshot.spi;

import java.nio.file.Path;
import java.util.Optional;

/**
 * What the host gives a factory when it creates an instance (or a plugin when it starts). Plugins reach the host
 * only through this object: there is no static access to the host.
 */
public interface PluginContext {

    /** The configured name of the instance being created, e.g. {@code "kitchen-mic"} for {@code earshot.sources.kitchen-mic.*}. */
    String instanceName();

    /** The instance's settings, with the host's own keys (such as {@code type}) removed. */
    PluginConfig config();

    /** Resolves a configured path: absolute paths are kept, relative ones are resolved against the gateway's home folder. */
    Path resolvePath(String path);

    /** A writable folder owned by this instance (created on first use), e.g. for caches or spools. */
    Path dataDirectory();

    /** A logger named after the plugin and instance. */
    System.Logger logger();

    /**
     * A service the host shares with plugins that know its type, so that they need not start their own. The gateway
     * offers {@code io.vertx.core.Vertx} (its event loops, for non-blocking network clients). A plugin must work, or
     * fail with a clear message, when the service is absent: other hosts (tests, conformance kits) offer none.
     */
    default <T> Optional<T> hostService(Class<T> type) {
        return Optional.empty();
    }
}
