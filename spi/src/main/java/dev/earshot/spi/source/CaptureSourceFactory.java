package dev.earshot.spi.source;

import dev.earshot.spi.PluginContext;

/** Creates capture sources of one type, e.g. {@code "file"}. */
public interface CaptureSourceFactory {

    /** The type name users write in {@code earshot.sources.<id>.type} or directly as a pipeline's source. */
    String name();

    /** Called once per pipeline that uses the source, on a host worker thread. Read every option here. */
    CaptureSource create(PluginContext context) throws Exception;
}
