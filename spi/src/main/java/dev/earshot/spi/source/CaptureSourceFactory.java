package dev.earshot.spi.source;

import dev.earshot.spi.PluginContext;
import dev.earshot.spi.PluginOption;

import java.util.List;

/** Creates capture sources of one type, e.g. {@code "file"}. */
public interface CaptureSourceFactory {

    /** The type name users write in {@code earshot.sources.<id>.type} or directly as a pipeline's source. */
    String name();

    /** Called once per pipeline that uses the source, on a host worker thread. Read every option here. */
    CaptureSource create(PluginContext context) throws Exception;

    /**
     * The devices sources of this type can open, for the host's device listing ({@code GET /api/devices/audio}).
     * Optional: a source type without devices to choose from keeps this default, the empty list. Called on a host
     * worker thread (it may block, e.g. asking the sound system); never needs a {@link #create} first.
     */
    default List<CaptureDevice> devices() {
        return List.of();
    }

    /**
     * The options this factory reads, for checks before {@link #create}, the API and the configuration reference.
     * Optional: a factory that keeps this default, the empty list, declares none (then the host reports the keys it
     * did not read as unknown). Called once when the plugin is loaded; must not block.
     */
    default List<PluginOption> options() {
        return List.of();
    }
}
