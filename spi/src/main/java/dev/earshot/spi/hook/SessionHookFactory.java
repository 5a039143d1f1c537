package dev.earshot.spi.hook;

import dev.earshot.spi.PluginContext;

/** Creates session hooks of one type. */
public interface SessionHookFactory {

    String name();

    /** Called once per configured hook, on a host worker thread. */
    SessionHook create(PluginContext context) throws Exception;
}
