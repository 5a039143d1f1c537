package dev.earshot.spi.sink;

import dev.earshot.spi.PluginContext;

/** Creates transcript sinks of one type, e.g. {@code "jsonl"}. */
public interface TranscriptSinkFactory {

    /** The type name users write in {@code earshot.sinks.<id>.type} or directly in a pipeline's sink list. */
    String name();

    /** Called once per configured sink, on a host worker thread; may block (open a file, a connection). */
    TranscriptSink create(PluginContext context) throws Exception;
}
