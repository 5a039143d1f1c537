package dev.earshot.plugins.exec;

import dev.earshot.spi.PluginConfig;
import dev.earshot.spi.PluginContext;
import dev.earshot.spi.PluginOption;
import dev.earshot.spi.audio.AudioFormat;
import dev.earshot.spi.source.CaptureSource;
import dev.earshot.spi.source.CaptureSourceFactory;
import dev.earshot.spi.source.Pacing;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * Creates {@code exec} sources. Options, under {@code earshot.sources.<id>.}: the program ({@link Program}),
 * {@code format} auto|raw|wav (auto), {@code sample-rate} (16000) and {@code channels} (1) of raw audio,
 * {@code frame} (20ms), {@code pacing} paced|live (paced), {@code restart} always|on-failure|never (always).
 * See the plugin's README.
 */
public final class ExecSourceFactory implements CaptureSourceFactory {

    @Override
    public String name() {
        return ExecPlugin.NAME;
    }

    @Override
    public List<PluginOption> options() {
        return Program.options(List.of(
                PluginOption.choice("format", "auto", List.of("auto", "raw", "wav"), "What the program writes to stdout:"
                        + " auto reads a WAV header when the output starts with RIFF, otherwise raw (s16le)."),
                PluginOption.integer("sample-rate", 16_000, "Sample rate of raw output, 8000 to 192000 Hz (a WAV header"
                        + " brings its own)."),
                PluginOption.integer("channels", 1, "Channels of raw output, 1 to 8."),
                PluginOption.duration("frame", "20ms", "Audio per frame handed to the session, 1ms to 1s."),
                PluginOption.choice("pacing", "paced", List.of("paced", "live"), "paced: a full session queue holds the"
                        + " program back through the pipe (files, converters); live: the oldest frames are dropped"
                        + " instead (capture devices such as arecord)."),
                PluginOption.choice("restart", "always", List.of("always", "on-failure", "never"), "Start the program"
                        + " again after it ended: always, only after a failed run (non-zero exit or no audio), or never.")));
    }

    @Override
    public CaptureSource create(PluginContext context) {
        requireNonNull(context, "context is null");
        PluginConfig config = context.config();
        Program program = Program.read(context, "exec source");
        String format = config.getChoice("format", "auto", Set.of("auto", "raw", "wav"));
        AudioFormat raw = new AudioFormat(config.getInt("sample-rate", 16_000, 8_000, 192_000),
                config.getInt("channels", 1, 1, 8));
        Duration frame = Program.positive(config, "frame", Duration.ofMillis(20));
        if (frame.toMillis() > 1000) {
            throw config.invalid("frame", config.getString("frame", ""), "a duration from 1ms to 1s, e.g. 20ms");
        }
        Pacing pacing = Pacing.valueOf(config.getChoice("pacing", "paced", Set.of("paced", "live")).toUpperCase(Locale.ROOT));
        String restart = config.getChoice("restart", "always", Set.of("always", "on-failure", "never"));
        return new ExecSource(context.instanceName(), program, format, raw, frame, pacing, restart, context.logger());
    }
}
