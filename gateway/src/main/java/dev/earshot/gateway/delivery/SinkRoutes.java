package dev.earshot.gateway.delivery;

import dev.earshot.spi.sink.TranscriptSink;

import java.util.Set;
import java.util.TreeSet;

/**
 * The pipelines that send to one sink, told to the sink ({@link TranscriptSink#routes}) each time the set changes.
 * A sink that fails to take them is logged, never fatal. Thread-safe.
 */
final class SinkRoutes {

    private static final System.Logger LOG = System.getLogger(SinkChannel.class.getName());

    private final String id;
    private final TranscriptSink sink;
    private final Set<String> routes = new TreeSet<>();

    SinkRoutes(String id, TranscriptSink sink) {
        this.id = id;
        this.sink = sink;
    }

    synchronized void add(String pipeline) {
        if (routes.add(pipeline)) {
            tell();
        }
    }

    synchronized void remove(String pipeline) {
        if (routes.remove(pipeline)) {
            tell();
        }
    }

    private void tell() {
        try {
            sink.routes(Set.copyOf(routes));
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "sink '" + id + "': routes(" + routes + ") failed: " + e, e);
        }
    }
}
