package dev.earshot.plugins.exec;

import dev.earshot.process.ProcessSpec;
import dev.earshot.spi.PluginConfig;
import dev.earshot.spi.PluginContext;
import dev.earshot.spi.PluginException;
import dev.earshot.spi.PluginOption;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The options both exec types share: {@code command}, {@code args}, {@code env.<NAME>}, {@code working-dir},
 * {@code stop-timeout}, {@code restart-backoff-min}/{@code -max} and {@code max-log-line}.
 */
record Program(ProcessSpec spec, Duration stopTimeout, Duration backoffMin, Duration backoffMax) {

    /** The declarations of the options {@link #read} reads, followed by {@code more}. */
    static List<PluginOption> options(List<PluginOption> more) {
        List<PluginOption> options = new ArrayList<>(List.of(
                PluginOption.string("command", null, "The program to run, e.g. /usr/bin/python3; a bare name is looked"
                        + " up on the PATH, a relative path is resolved against the gateway's home.").asRequired(),
                PluginOption.string("args", "", "Its arguments, split on white space (use a wrapper script for"
                        + " arguments that contain spaces)."),
                PluginOption.map("env", "Environment variables for the program, added to the gateway's own,"
                        + " e.g. env.API_KEY=...; values are never shown.").asSecret(),
                PluginOption.path("working-dir", null, "The program's working folder (must exist); not set: the"
                        + " gateway's."),
                PluginOption.duration("stop-timeout", "2s", "On close: stdin closed and SIGTERM to the program and its"
                        + " descendants, then SIGKILL after this."),
                PluginOption.duration("restart-backoff-min", "200ms", "First wait before the program is started again,"
                        + " doubled after each failure up to restart-backoff-max."),
                PluginOption.duration("restart-backoff-max", "30s", "Longest wait before a restart, at least restart-backoff-min;"
                        + " a run that lived a minute resets the wait to the minimum."),
                PluginOption.size("max-log-line", "4K", "The longest line of the program's stderr that goes to the log,"
                        + " 16 bytes to 1M.")));
        options.addAll(more);
        return List.copyOf(options);
    }

    static Program read(PluginContext context, String kind) {
        PluginConfig config = context.config();
        String program = config.require("command", "the program to run, e.g. /usr/bin/python3");
        String args = config.getString("args", "");
        Map<String, String> environment = new LinkedHashMap<>();
        for (String key : config.asMap().keySet()) {
            if (key.startsWith("env.") && key.length() > 4) {
                environment.put(key.substring(4), config.get(key).orElse(""));
            }
        }
        Path workingDirectory = config.get("working-dir").map(context::resolvePath).orElse(null);
        if (workingDirectory != null && !Files.isDirectory(workingDirectory)) {
            throw config.invalid("working-dir", workingDirectory.toString(), "an existing folder");
        }
        Duration stopTimeout = positive(config, "stop-timeout", Duration.ofSeconds(2));
        Duration min = positive(config, "restart-backoff-min", Duration.ofMillis(200));
        Duration max = config.getDuration("restart-backoff-max", Duration.ofSeconds(30));
        if (max.compareTo(min) < 0) {
            throw new PluginException(config.key("restart-backoff-max") + ": " + max.toMillis() + " ms must be at least "
                    + config.key("restart-backoff-min") + " (" + min.toMillis() + " ms)");
        }
        int maxLogLine = size(config, "max-log-line", 4096, 16, 1 << 20);
        ProcessSpec spec = new ProcessSpec(ProcessSpec.command(program, args, context::resolvePath), environment,
                workingDirectory, context.logger(), kind + " '" + context.instanceName() + "'", maxLogLine);
        return new Program(spec, stopTimeout, min, max);
    }

    /** A size in bytes ({@code 512}, {@code 64K}, {@code 1M}) from {@code min} to {@code max}. */
    static int size(PluginConfig config, String key, int defaultValue, int min, int max) {
        long value = config.getBytes(key, defaultValue);
        if (value < min || value > max) {
            throw config.invalid(key, config.getString(key, ""), "a size from " + min + " to " + max + " bytes, e.g. 64K");
        }
        return (int) value;
    }

    static Duration positive(PluginConfig config, String key, Duration defaultValue) {
        Duration value = config.getDuration(key, defaultValue);
        if (value.toMillis() < 1) {
            throw config.invalid(key, config.getString(key, ""), "a positive duration such as 2s");
        }
        return value;
    }
}
