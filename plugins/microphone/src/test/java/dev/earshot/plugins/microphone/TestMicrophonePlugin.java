package dev.earshot.plugins.microphone;

import dev.earshot.spi.Plugin;
import dev.earshot.spi.PluginConfig;
import dev.earshot.spi.PluginContext;
import dev.earshot.spi.PluginException;
import dev.earshot.spi.audio.AudioFormat;
import dev.earshot.spi.source.CaptureDevice;
import dev.earshot.spi.source.CaptureSource;
import dev.earshot.spi.source.CaptureSourceFactory;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.stream.StreamSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The plugin as the host finds it, its options and device matching; capture itself is tested in the gateway. */
class TestMicrophonePlugin {

    @Test
    void foundThroughServiceLoaderWithItsVersion() {
        Plugin plugin = ServiceLoader.load(Plugin.class).stream().map(ServiceLoader.Provider::get)
                .filter(p -> p.name().equals("microphone")).findFirst().orElseThrow();
        assertTrue(plugin.version().matches("\\d+\\.\\d+\\.\\d+.*"), plugin.version());
        List<String> sources = StreamSupport.stream(plugin.sourceFactories().spliterator(), false)
                .map(CaptureSourceFactory::name).toList();
        assertEquals(List.of("microphone"), sources);
    }

    @Test
    void defaultsAreTheSystemDeviceAt16kMonoIn100msFrames() {
        PluginConfig config = config(Map.of());
        MicrophoneSource.Settings settings = MicrophoneSourceFactory.settings(config);
        assertNull(settings.device());
        assertEquals(AudioFormat.SPEECH_16K, settings.format());
        assertEquals(3200, settings.frameBytes());
        assertEquals(16000, settings.bufferBytes());
        assertEquals(Duration.ofSeconds(1), settings.retryDelay());
        assertEquals(Set.of(), config.unreadKeys());
    }

    @Test
    void everyOptionIsReadSoMisspelledOnesAreReported() {
        PluginConfig config = config(Map.of("device", "USB", "sample-rate", "48000", "channels", "2", "frame", "20ms",
                "buffer", "1s", "retry-delay", "250ms", "max-retry-delay", "5s", "devcie", "typo"));
        MicrophoneSource.Settings settings = MicrophoneSourceFactory.settings(config);
        assertEquals("USB", settings.device());
        assertEquals(new AudioFormat(48_000, 2), settings.format());
        assertEquals(48_000 * 4 / 50, settings.frameBytes());
        assertEquals(48_000 * 4, settings.bufferBytes());
        assertEquals(Set.of("devcie"), config.unreadKeys(), "the host reports what no one read as unknown");
        assertEquals(Set.of(), config.undeclaredReads(), "every option read is declared");
        assertEquals(List.of("earshot.sources.mic.devcie: unknown option; did you mean earshot.sources.mic.device?"),
                config.problems(), "the declared options name the misspelled key before the source is created");
    }

    @Test
    void limitsAreCheckedWithTheKeyInTheMessage() {
        assertError(Map.of("sample-rate", "1000"), "earshot.sources.mic.sample-rate: '1000' is not valid");
        assertError(Map.of("channels", "9"), "earshot.sources.mic.channels: '9' is not valid");
        assertError(Map.of("frame", "5ms"), "earshot.sources.mic.frame: '5ms' is not valid; expected a duration from 10ms to 1s");
        assertError(Map.of("frame", "2s"), "earshot.sources.mic.frame: '2s' is not valid");
        assertError(Map.of("frame", "100ms", "buffer", "150ms"),
                "earshot.sources.mic.buffer: '150ms' is not valid; expected a duration from two frames (200ms) to 10s");
        assertError(Map.of("buffer", "11s"), "earshot.sources.mic.buffer: '11s' is not valid");
        assertError(Map.of("retry-delay", "1ms"), "earshot.sources.mic.retry-delay: '1ms' is not valid");
        assertError(Map.of("retry-delay", "2s", "max-retry-delay", "1s"),
                "earshot.sources.mic.max-retry-delay: '1s' is not valid; expected a duration of at least retry-delay (2000ms)");
        assertError(Map.of("frame", "soon"), "earshot.sources.mic.frame: 'soon' is not valid");
    }

    @Test
    void backoffDoublesUpToTheMaximum() {
        MicrophoneSource.Settings settings = MicrophoneSourceFactory.settings(config(Map.of("retry-delay", "1s",
                "max-retry-delay", "5s")));
        assertEquals(List.of(1L, 1L, 2L, 4L, 5L, 5L), List.of(0, 1, 2, 3, 4, 40).stream()
                .map(n -> settings.backoff(n).toSeconds()).toList());
    }

    @Test
    void devicesMatchByExactNameFirstThenByAUniquePart() {
        List<CaptureDevices.Device> devices = List.of(
                new CaptureDevices.Device("default [default]", "Direct Audio Device: default", null),
                new CaptureDevices.Device("USB [plughw:1,0]", "Direct Audio Device: USB PnP Sound Device", null),
                new CaptureDevices.Device("USB [plughw:2,0]", "Direct Audio Device: USB Camera", null));
        assertEquals("default [default]", CaptureDevices.select(devices, "DEFAULT [default]", "k").name());
        assertEquals("USB [plughw:2,0]", CaptureDevices.select(devices, "camera", "k").name());
        assertEquals("USB [plughw:1,0]", CaptureDevices.select(devices, "plughw:1", "k").name());

        PluginException missing = assertThrows(PluginException.class,
                () -> CaptureDevices.select(devices, "respeaker", "earshot.sources.mic.device"));
        assertEquals("earshot.sources.mic.device: no capture device matches 'respeaker'; available: "
                + "'default [default]' (Direct Audio Device: default), "
                + "'USB [plughw:1,0]' (Direct Audio Device: USB PnP Sound Device), "
                + "'USB [plughw:2,0]' (Direct Audio Device: USB Camera) (GET /api/devices/audio lists them with their formats;"
                + " the JDK lists devices once, when first asked: a device plugged in later needs a restart of the gateway)",
                missing.getMessage());
        PluginException several = assertThrows(PluginException.class,
                () -> CaptureDevices.select(devices, "usb", "earshot.sources.mic.device"));
        assertTrue(several.getMessage().startsWith("earshot.sources.mic.device: 'usb' matches several capture devices: "
                + "'USB [plughw:1,0]'"), several.getMessage());
        PluginException none = assertThrows(PluginException.class,
                () -> CaptureDevices.select(List.of(), "usb", "earshot.sources.mic.device"));
        assertTrue(none.getMessage().contains("the JDK sees no capture devices at all"), none.getMessage());
    }

    /**
     * The device listing groups what a capture line takes by encoding, sample size and byte order: channel counts as a
     * range, rates as a list or {@code any} (a device that resamples says NOT_SPECIFIED).
     */
    @Test
    void deviceFormatsAreGroupedByEncodingSizeAndByteOrder() {
        int any = javax.sound.sampled.AudioSystem.NOT_SPECIFIED;
        List<javax.sound.sampled.AudioFormat> formats = List.of(
                new javax.sound.sampled.AudioFormat(any, 16, 1, true, false),
                new javax.sound.sampled.AudioFormat(any, 16, 32, true, false),
                new javax.sound.sampled.AudioFormat(44_100, 16, 2, true, true),
                new javax.sound.sampled.AudioFormat(16_000, 16, 2, true, true),
                new javax.sound.sampled.AudioFormat(8_000, 8, any, false, false));
        assertEquals(List.of(
                new CaptureDevice.Format("PCM_SIGNED", 16, "little-endian", "1-32", "any"),
                new CaptureDevice.Format("PCM_SIGNED", 16, "big-endian", "2", "16000,44100"),
                new CaptureDevice.Format("PCM_UNSIGNED", 8, "", "any", "8000")), DeviceListing.group(formats));
    }

    /** The microphone source type answers the host's device listing; a source type that does not lists none. */
    @Test
    void theSourceTypeListsTheDevicesTheJdkSees() {
        CaptureSourceFactory microphone = new MicrophoneSourceFactory();
        List<CaptureDevice> listed = microphone.devices();
        List<String> withCaptureLines = CaptureDevices.list().stream().map(CaptureDevices.Device::name).toList();
        assertEquals(withCaptureLines, listed.stream().map(CaptureDevice::name).toList(),
                "every device with a capture line, in the JDK's order");
        for (CaptureDevice device : listed) {
            assertFalse(device.formats().isEmpty(), device + " takes some format");
        }
        CaptureSourceFactory withoutDevices = new CaptureSourceFactory() {
            @Override
            public String name() {
                return "none";
            }

            @Override
            public CaptureSource create(PluginContext context) {
                throw new UnsupportedOperationException();
            }
        };
        assertEquals(List.of(), withoutDevices.devices());
    }

    private static void assertError(Map<String, String> options, String expected) {
        PluginException error = assertThrows(PluginException.class, () -> MicrophoneSourceFactory.settings(config(options)));
        assertTrue(error.getMessage().startsWith(expected), error.getMessage());
    }

    private static PluginConfig config(Map<String, String> options) {
        return new PluginConfig("earshot.sources.mic", options, new MicrophoneSourceFactory().options());
    }
}
