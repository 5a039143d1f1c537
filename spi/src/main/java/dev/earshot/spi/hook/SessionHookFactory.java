package dev.earshot.spi.hook;

import dev.earshot.spi.PluginContext;
import dev.earshot.spi.PluginOption;

import java.util.List;

/** Creates session hooks of one type. */
public interface SessionHookFactory {

    String name();

    /** Called once per configured hook, on a host worker thread. */
    SessionHook create(PluginContext context) throws Exception;

    /**
     * The options this factory reads, for checks before {@link #create}, the API and the configuration reference.
     * Optional: a factory that keeps this default, the empty list, declares none (then the host reports the keys it
     * did not read as unknown). Called once when the plugin is loaded; must not block.
     */
    default List<PluginOption> options() {
        return List.of();
    }
}
