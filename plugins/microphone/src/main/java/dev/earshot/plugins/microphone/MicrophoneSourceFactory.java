package dev.earshot.plugins.microphone;

import dev.earshot.spi.PluginConfig;
import dev.earshot.spi.PluginContext;
import dev.earshot.spi.PluginOption;
import dev.earshot.spi.audio.AudioFormat;
import dev.earshot.spi.source.CaptureDevice;
import dev.earshot.spi.source.CaptureSource;
import dev.earshot.spi.source.CaptureSourceFactory;

import java.time.Duration;
import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * Creates {@code microphone} sources. Options, under {@code earshot.sources.<id>.}:
 * <ul>
 *   <li>{@code device}: the capture device, by name or a unique part of its name or description (as listed by
 *       {@code GET /api/devices/audio}); not set: the system's default capture device</li>
 *   <li>{@code sample-rate} (16000) and {@code channels} (1): the format asked of the device (16-bit PCM); the
 *       gateway converts it to the engine's</li>
 *   <li>{@code frame}: audio per frame handed to the pipeline, 10ms to 1s (100ms)</li>
 *   <li>{@code buffer}: the device line's buffer, at least two frames, up to 10s (500ms): how long capture may
 *       lag (a busy machine) before the device itself overruns</li>
 *   <li>{@code retry-delay} (1s) and {@code max-retry-delay} (30s): when the device fails or disappears, its
 *       session is ended and the device is opened again after {@code retry-delay}, doubling up to the maximum</li>
 * </ul>
 */
public final class MicrophoneSourceFactory implements CaptureSourceFactory {

    public static final String NAME = "microphone";

    static final Duration MIN_FRAME = Duration.ofMillis(10);
    static final Duration MAX_FRAME = Duration.ofSeconds(1);
    static final Duration MAX_BUFFER = Duration.ofSeconds(10);

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public List<PluginOption> options() {
        return List.of(
                PluginOption.string("device", null, "The capture device, by name or a unique part of its name or"
                        + " description (as listed by GET /api/devices/audio); not set: the system's default device."),
                PluginOption.integer("sample-rate", 16_000, "The sample rate asked of the device, "
                        + AudioFormat.MIN_SAMPLE_RATE + " to " + AudioFormat.MAX_SAMPLE_RATE + " Hz (16-bit PCM);"
                        + " the gateway converts it to the engine's."),
                PluginOption.integer("channels", 1, "The channels asked of the device, 1 to " + AudioFormat.MAX_CHANNELS + "."),
                PluginOption.duration("frame", "100ms", "Audio per frame handed to the pipeline, 10ms to 1s."),
                PluginOption.duration("buffer", "500ms", "The device line's buffer, at least two frames, up to 10s: how"
                        + " long capture may lag before the device itself overruns."),
                PluginOption.duration("retry-delay", "1s", "When the device fails or disappears, its session ends and"
                        + " the device is opened again after this delay (at least 10ms), doubling up to max-retry-delay."),
                PluginOption.duration("max-retry-delay", "30s", "The longest delay between attempts to open the device"
                        + " again; at least retry-delay."));
    }

    @Override
    public CaptureSource create(PluginContext context) {
        requireNonNull(context, "context is null");
        return new MicrophoneSource(context.instanceName(), settings(context.config()), context.logger());
    }

    /** The capture devices the JDK sees, with the formats they take (blocking: the JDK asks ALSA). */
    @Override
    public List<CaptureDevice> devices() {
        return DeviceListing.list();
    }

    /** Reads and checks every option; errors name the key, the value and what is expected. */
    static MicrophoneSource.Settings settings(PluginConfig config) {
        String device = config.get("device").orElse(null);
        int sampleRate = config.getInt("sample-rate", 16_000, AudioFormat.MIN_SAMPLE_RATE, AudioFormat.MAX_SAMPLE_RATE);
        int channels = config.getInt("channels", 1, 1, AudioFormat.MAX_CHANNELS);
        Duration frame = config.getDuration("frame", Duration.ofMillis(100));
        if (frame.compareTo(MIN_FRAME) < 0 || frame.compareTo(MAX_FRAME) > 0) {
            throw config.invalid("frame", config.get("frame").orElse(""), "a duration from 10ms to 1s");
        }
        Duration buffer = config.getDuration("buffer", Duration.ofMillis(500));
        if (buffer.compareTo(frame.multipliedBy(2)) < 0 || buffer.compareTo(MAX_BUFFER) > 0) {
            throw config.invalid("buffer", config.get("buffer").orElse(""), "a duration from two frames ("
                    + frame.multipliedBy(2).toMillis() + "ms) to 10s");
        }
        Duration retryDelay = config.getDuration("retry-delay", Duration.ofSeconds(1));
        if (retryDelay.toMillis() < 10) {
            throw config.invalid("retry-delay", config.get("retry-delay").orElse(""), "a duration of at least 10ms");
        }
        Duration maxRetryDelay = config.getDuration("max-retry-delay", Duration.ofSeconds(30));
        if (maxRetryDelay.compareTo(retryDelay) < 0) {
            throw config.invalid("max-retry-delay", config.get("max-retry-delay").orElse(""),
                    "a duration of at least retry-delay (" + retryDelay.toMillis() + "ms)");
        }
        return new MicrophoneSource.Settings(device, config.key("device"), new AudioFormat(sampleRate, channels),
                frame, buffer, retryDelay, maxRetryDelay);
    }
}
