package dev.earshot.spi.sink;

import dev.earshot.spi.PluginContext;
import dev.earshot.spi.PluginOption;

import java.util.List;

/** Creates transcript sinks of one type, e.g. {@code "jsonl"}. */
public interface TranscriptSinkFactory {

    /** The type name users write in {@code earshot.sinks.<id>.type} or directly in a pipeline's sink list. */
    String name();

    /** Called once per configured sink, on a host worker thread; may block (open a file, a connection). */
    TranscriptSink create(PluginContext context) throws Exception;

    /**
     * The options this factory reads, for checks before {@link #create}, the API and the configuration reference.
     * Optional: a factory that keeps this default, the empty list, declares none (then the host reports the keys it
     * did not read as unknown). Called once when the plugin is loaded; must not block.
     */
    default List<PluginOption> options() {
        return List.of();
    }
}
