package dev.earshot.gateway.api;

import dev.earshot.gateway.Gateway;
import dev.earshot.gateway.plugin.ComponentKind;
import dev.earshot.gateway.plugin.LoadedPlugin;
import dev.earshot.gateway.plugin.PluginRegistry;
import dev.earshot.spi.source.CaptureDevice;
import dev.earshot.spi.source.CaptureSourceFactory;
import io.quarkus.runtime.annotations.RegisterForReflection;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.jboss.logging.Logger;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * The capture devices this gateway process can open, as the capture source types list them
 * ({@link CaptureSourceFactory#devices()}; the {@code microphone} source's {@code device} option matches their
 * {@code name}, or a unique part of name or description). Source types without devices list none.
 */
@Path("/api/devices/audio")
@Produces(MediaType.APPLICATION_JSON)
public class DevicesResource {

    private static final Logger LOG = Logger.getLogger(DevicesResource.class);

    @Inject
    Gateway gateway;

    /** One capture device: its name and description, and the formats it takes, grouped. */
    @RegisterForReflection
    public record AudioDevice(String name, String description, String vendor, String version,
                              boolean takes16BitPcm, List<FormatRange> formats) {

        static AudioDevice of(CaptureDevice device) {
            return new AudioDevice(device.name(), device.description(), device.vendor(), device.version(),
                    device.takes16BitPcm(), device.formats().stream().map(FormatRange::of).toList());
        }
    }

    /**
     * A group of formats a device takes: one encoding, sample size and byte order, with the channel counts and sample
     * rates ({@code any} when the device resamples) it takes.
     */
    @RegisterForReflection
    public record FormatRange(String encoding, int bits, String byteOrder, String channels, String sampleRates) {

        static FormatRange of(CaptureDevice.Format format) {
            return new FormatRange(format.encoding(), format.bits(), format.byteOrder(), format.channels(),
                    format.sampleRates());
        }
    }

    /**
     * Lists the devices of every capture source type of the running plugins (a failed plugin's are left out). Listing
     * may block (the microphone plugin asks the JDK, which asks ALSA), so it runs on a worker thread, as every
     * non-reactive REST method here. A source type whose listing throws is logged and left out.
     */
    @GET
    public List<AudioDevice> list() {
        PluginRegistry plugins = Resources.runtime(gateway).plugins();
        List<AudioDevice> devices = new ArrayList<>();
        List<LoadedPlugin> loaded = plugins.plugins().stream().sorted(Comparator.comparing(LoadedPlugin::name)).toList();
        for (LoadedPlugin plugin : loaded) {
            if (plugin.state() == LoadedPlugin.State.FAILED) {
                continue;
            }
            for (String type : plugin.provides().getOrDefault(ComponentKind.SOURCE, List.of())) {
                Optional<PluginRegistry.Provided<CaptureSourceFactory>> provided = plugins.factory(ComponentKind.SOURCE, type);
                if (provided.isEmpty() || provided.get().plugin() != plugin) {
                    continue;
                }
                try {
                    provided.get().factory().devices().stream().map(AudioDevice::of).forEach(devices::add);
                } catch (RuntimeException e) {
                    LOG.warnf(e, "source type '%s' (plugin %s) could not list its devices", type, plugin.name());
                }
            }
        }
        return devices;
    }
}
