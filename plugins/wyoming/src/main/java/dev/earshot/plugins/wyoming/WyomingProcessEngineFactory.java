package dev.earshot.plugins.wyoming;

import dev.earshot.process.ProcessSpec;
import dev.earshot.spi.PluginConfig;
import dev.earshot.spi.PluginContext;
import dev.earshot.spi.PluginException;
import dev.earshot.spi.PluginOption;
import dev.earshot.spi.engine.SpeechEngine;
import dev.earshot.spi.engine.SpeechEngineFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code wyoming-process}: any Wyoming STT program, started by the gateway as a child process per session and
 * spoken to over its stdin and stdout. The program is probed once at creation ({@code describe} -> {@code info}),
 * so a wrong command fails the engine with a clear error instead of every session.
 */
final class WyomingProcessEngineFactory implements SpeechEngineFactory {

    /** The longest line of the program's stderr that goes to the log, in bytes. */
    private static final int MAX_LOG_LINE = 4096;

    @Override
    public String name() {
        return "wyoming-process";
    }

    @Override
    public List<PluginOption> options() {
        List<PluginOption> options = new ArrayList<>(List.of(
                PluginOption.string("command", null, "The Wyoming STT program to run, e.g. /usr/bin/python3; a bare"
                        + " name is looked up on the PATH, a relative path is resolved against the gateway's home.").asRequired(),
                PluginOption.string("args", "", "Its arguments, separated by white space (no quoting)."),
                PluginOption.map("env", "Environment variables of the program, e.g. env.HF_HOME=/data/hf; values are"
                        + " never shown.").asSecret(),
                PluginOption.path("working-dir", null, "The program's working folder (must exist); not set: the"
                        + " gateway's."),
                PluginOption.duration("stop-timeout", "2s", "How long a stopped program may take to exit before it is"
                        + " killed.")));
        options.addAll(WyomingSettings.options("restart-backoff", "restarting the program"));
        return List.copyOf(options);
    }

    @Override
    public SpeechEngine create(PluginContext context) throws Exception {
        PluginConfig config = context.config();
        String program = config.require("command", "the Wyoming STT program to run, e.g. /usr/bin/python3");
        String args = config.getString("args", "");
        List<String> command = ProcessSpec.command(program, args, context::resolvePath);
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
        Duration stopGrace = config.getDuration("stop-timeout", Duration.ofSeconds(2));
        WyomingSettings settings = WyomingSettings.read(config, "restart-backoff");
        ProcessOpener opener = new ProcessOpener(new ProcessSpec(command, environment, workingDirectory,
                context.logger(), "engine '" + context.instanceName() + "'", MAX_LOG_LINE), Math.max(1, stopGrace.toMillis()));
        WyomingEngine engine = new WyomingEngine(context.instanceName(), config, opener, settings, context.logger());
        try {
            String programs = engine.probe();
            context.logger().log(System.Logger.Level.INFO, "engine '" + context.instanceName() + "': " + opener.target()
                    + " answers Wyoming (" + programs + "); one process per session, " + settings.format());
        } catch (IOException e) {
            engine.close();
            throw new PluginException(config.key("command") + ": " + e.getMessage()
                    + " (check the command, its args and that it speaks Wyoming on stdin/stdout)");
        }
        return engine;
    }
}
