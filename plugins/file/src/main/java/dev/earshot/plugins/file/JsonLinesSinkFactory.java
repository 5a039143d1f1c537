package dev.earshot.plugins.file;

import dev.earshot.spi.PluginConfig;
import dev.earshot.spi.PluginContext;
import dev.earshot.spi.PluginException;
import dev.earshot.spi.sink.TranscriptSink;
import dev.earshot.spi.sink.TranscriptSinkFactory;
import dev.earshot.spi.PluginOption;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * Creates {@code jsonl} sinks. Options, under {@code earshot.sinks.<id>.}:
 * <ul>
 *   <li>{@code path} (required): the file to append to; missing parent folders are created</li>
 *   <li>{@code max-bytes}: size at which the file is rotated (10M by default)</li>
 *   <li>{@code max-files}: rotated files kept, 0 to 1000 (5 by default; 0 keeps none)</li>
 *   <li>{@code partials}: also write partial transcripts (false by default)</li>
 * </ul>
 */
public final class JsonLinesSinkFactory implements TranscriptSinkFactory {

    public static final String NAME = "jsonl";

    static final long DEFAULT_MAX_BYTES = 10L * 1024 * 1024;
    static final int DEFAULT_MAX_FILES = 5;
    static final int MAX_MAX_FILES = 1000;

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public List<PluginOption> options() {
        return List.of(
                PluginOption.path("path", null, "The file to append transcripts to, one JSON object a line; missing"
                        + " parent folders are created.").asRequired(),
                PluginOption.size("max-bytes", DEFAULT_MAX_BYTES / (1024 * 1024) + "M", "Size at which the file is rotated."),
                PluginOption.integer("max-files", DEFAULT_MAX_FILES, "Rotated files kept, 0 to " + MAX_MAX_FILES
                        + " (0 keeps none)."),
                PluginOption.bool("partials", false, "Also write partial transcripts."));
    }

    @Override
    public TranscriptSink create(PluginContext context) {
        requireNonNull(context, "context is null");
        PluginConfig config = context.config();
        String pathText = config.require("path", "name the file to append transcripts to, e.g. transcripts/final.jsonl");
        long maxBytes = config.getBytes("max-bytes", DEFAULT_MAX_BYTES);
        int maxFiles = config.getInt("max-files", DEFAULT_MAX_FILES, 0, MAX_MAX_FILES);
        boolean partials = config.getBoolean("partials", false);

        Path path = context.resolvePath(pathText).toAbsolutePath();
        String pathKey = config.key("path");
        if (Files.isDirectory(path)) {
            throw new PluginException(pathKey + ": " + path + " is a folder; name a file in it, e.g. "
                    + path.resolve("transcripts.jsonl"));
        }
        Path parent = path.getParent();
        if (parent != null) {
            try {
                Files.createDirectories(parent);
            } catch (IOException e) {
                throw new PluginException(pathKey + ": cannot create folder " + parent + ": " + IoErrors.describe(e), e);
            }
        }
        try {
            return new JsonLinesSink(path, maxBytes, maxFiles, partials);
        } catch (IOException e) {
            throw new PluginException(pathKey + ": cannot open " + path + " for appending: " + IoErrors.describe(e), e);
        }
    }
}
