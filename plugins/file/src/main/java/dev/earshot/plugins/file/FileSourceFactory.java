package dev.earshot.plugins.file;

import dev.earshot.spi.PluginConfig;
import dev.earshot.spi.PluginContext;
import dev.earshot.spi.PluginException;
import dev.earshot.spi.audio.AudioFormat;
import dev.earshot.spi.source.CaptureSource;
import dev.earshot.spi.source.CaptureSourceFactory;
import dev.earshot.spi.PluginOption;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;

import static java.util.Objects.requireNonNull;

/**
 * Creates {@code file} sources. Options, under {@code earshot.sources.<id>.}:
 * <ul>
 *   <li>{@code path} (required): the file to read; relative paths are resolved against the gateway's home folder</li>
 *   <li>{@code format}: {@code auto} (default: {@code .wav}/{@code .wave} files are WAV, others raw), {@code wav},
 *       {@code raw} (headerless s16le)</li>
 *   <li>{@code sample-rate}, {@code channels}: of a raw file (16000 and 1 by default); a WAV file's header gives
 *       its own</li>
 *   <li>{@code frame}: audio per frame, 1ms to 10s (100ms by default)</li>
 *   <li>{@code realtime}: play the file at the pace of its audio, like a live source (false by default: as fast
 *       as the engine decodes)</li>
 * </ul>
 */
public final class FileSourceFactory implements CaptureSourceFactory {

    public static final String NAME = "file";

    static final Duration DEFAULT_FRAME = Duration.ofMillis(100);
    private static final Duration MIN_FRAME = Duration.ofMillis(1);
    private static final Duration MAX_FRAME = Duration.ofSeconds(10);

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public List<PluginOption> options() {
        return List.of(
                PluginOption.path("path", null, "The WAV or raw s16le file to read; relative paths are resolved against"
                        + " the gateway's home folder.").asRequired(),
                PluginOption.choice("format", "auto", List.of("auto", "wav", "raw"), "auto: .wav/.wave files are WAV,"
                        + " others raw; wav; raw (headerless 16-bit little-endian PCM)."),
                PluginOption.integer("sample-rate", 16_000, "Sample rate of a raw file, " + AudioFormat.MIN_SAMPLE_RATE
                        + " to " + AudioFormat.MAX_SAMPLE_RATE + " Hz; a WAV file's header gives its own."),
                PluginOption.integer("channels", 1, "Channels of a raw file, 1 to " + AudioFormat.MAX_CHANNELS
                        + "; a WAV file's header gives its own."),
                PluginOption.duration("frame", DEFAULT_FRAME.toMillis() + "ms", "Audio per frame, 1ms to 10s."),
                PluginOption.bool("realtime", false, "Play the file at the pace of its audio, like a live source"
                        + " (false: as fast as the engine decodes)."));
    }

    @Override
    public CaptureSource create(PluginContext context) {
        requireNonNull(context, "context is null");
        PluginConfig config = context.config();
        String pathText = config.require("path", "name the WAV or raw s16le file to read, e.g. /data/meeting.wav");
        String format = config.getChoice("format", "auto", Set.of("auto", "wav", "raw"));
        List<String> rawOptionsSet = Stream.of("sample-rate", "channels")
                .filter(key -> config.get(key).isPresent()).map(config::key).toList();
        int sampleRate = config.getInt("sample-rate", 16_000, AudioFormat.MIN_SAMPLE_RATE, AudioFormat.MAX_SAMPLE_RATE);
        int channels = config.getInt("channels", 1, 1, AudioFormat.MAX_CHANNELS);
        Duration frame = config.getDuration("frame", DEFAULT_FRAME);
        if (frame.compareTo(MIN_FRAME) < 0 || frame.compareTo(MAX_FRAME) > 0) {
            throw config.invalid("frame", config.get("frame").orElse(frame.toString()), "a duration from 1ms to 10s");
        }
        boolean realtime = config.getBoolean("realtime", false);

        Path path = context.resolvePath(pathText);
        String resolvedFrom = path.toString().equals(pathText) ? "" : " (resolved from '" + pathText + "')";
        String pathKey = config.key("path");
        if (!Files.exists(path)) {
            throw new PluginException(pathKey + ": file " + path + " does not exist" + resolvedFrom);
        }
        if (Files.isDirectory(path)) {
            throw new PluginException(pathKey + ": " + path + " is a folder; name a WAV or raw s16le file" + resolvedFrom);
        }
        if (!Files.isReadable(path)) {
            throw new PluginException(pathKey + ": file " + path + " is not readable; check its permissions");
        }
        FileSource.Kind kind = switch (format) {
            case "wav" -> FileSource.Kind.WAV;
            case "raw" -> FileSource.Kind.RAW;
            default -> isWavName(path) ? FileSource.Kind.WAV : FileSource.Kind.RAW;
        };
        AudioFormat rawFormat = new AudioFormat(sampleRate, channels);
        FileSource source = new FileSource(context.instanceName(), pathKey, path, kind, rawFormat, frame, realtime,
                context.logger());
        AudioFormat actual = source.check();
        if (kind == FileSource.Kind.WAV && !rawOptionsSet.isEmpty()) {
            context.logger().log(System.Logger.Level.WARNING, String.join(" and ", rawOptionsSet)
                    + " apply to raw files only and are ignored: " + path + " is a WAV file"
                    + (actual == null ? "" : " of " + actual));
        }
        return source;
    }

    private static boolean isWavName(Path path) {
        Path name = path.getFileName();
        String text = name == null ? "" : name.toString().toLowerCase(Locale.ROOT);
        return text.endsWith(".wav") || text.endsWith(".wave");
    }
}
