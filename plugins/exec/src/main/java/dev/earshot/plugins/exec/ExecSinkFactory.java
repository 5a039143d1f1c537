package dev.earshot.plugins.exec;

import dev.earshot.spi.PluginConfig;
import dev.earshot.spi.PluginContext;
import dev.earshot.spi.PluginOption;
import dev.earshot.spi.sink.TranscriptSink;
import dev.earshot.spi.sink.TranscriptSinkFactory;

import java.time.Duration;
import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * Creates {@code exec} sinks. Options, under {@code earshot.sinks.<id>.}: the program ({@link Program}: command,
 * args, env.NAME, working-dir, stop-timeout, restart-backoff-min/max, max-log-line), {@code ack-timeout} (10s),
 * {@code max-line} (65536 bytes, both directions) and {@code partials} (false). See the plugin's README.
 */
public final class ExecSinkFactory implements TranscriptSinkFactory {

    @Override
    public String name() {
        return ExecPlugin.NAME;
    }

    @Override
    public List<PluginOption> options() {
        return Program.options(List.of(
                PluginOption.duration("ack-timeout", "10s", "How long the sink waits for the answer to one event."),
                PluginOption.size("max-line", "64K", "The longest line either way, 256 bytes to 16M: a longer"
                        + " event is rejected for good, a longer answer is ignored."),
                PluginOption.bool("partials", false, "Also write partial transcripts.")));
    }

    @Override
    public TranscriptSink create(PluginContext context) {
        requireNonNull(context, "context is null");
        PluginConfig config = context.config();
        Program program = Program.read(context, "exec sink");
        Duration ackTimeout = Program.positive(config, "ack-timeout", Duration.ofSeconds(10));
        int maxLine = Program.size(config, "max-line", 65536, 256, 16 << 20);
        boolean partials = config.getBoolean("partials", false);
        return new ExecSink(context.instanceName(), program, ackTimeout, maxLine, partials, context.logger());
    }
}
