package dev.earshot.plugins.wyoming;

import dev.earshot.spi.PluginConfig;
import dev.earshot.spi.PluginContext;
import dev.earshot.spi.PluginOption;
import dev.earshot.spi.engine.SpeechEngine;
import dev.earshot.spi.engine.SpeechEngineFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code wyoming-tcp}: a client of a Wyoming ASR server (wyoming-faster-whisper, wyoming-vosk, another Earshot's
 * Wyoming endpoint, ...), one connection per session, reconnecting with back-off when the server goes away. The server
 * need not be up when the gateway starts: the engine then starts degraded and sessions connect when it is.
 */
final class WyomingTcpEngineFactory implements SpeechEngineFactory {

    @Override
    public String name() {
        return "wyoming-tcp";
    }

    @Override
    public List<PluginOption> options() {
        List<PluginOption> options = new ArrayList<>(List.of(
                PluginOption.string("host", null, "The Wyoming server's host name or address, e.g. 127.0.0.1.").asRequired(),
                PluginOption.integer("port", 10300, "The server's port, 1 to 65535."),
                PluginOption.duration("connect-timeout", "5s", "Time limit of one connection attempt.")));
        options.addAll(WyomingSettings.options("reconnect-backoff", "connecting again"));
        return List.copyOf(options);
    }

    @Override
    public SpeechEngine create(PluginContext context) throws Exception {
        PluginConfig config = context.config();
        String host = config.require("host", "the Wyoming server's host name or address, e.g. 127.0.0.1");
        int port = config.getInt("port", 10300, 1, 65_535);
        Duration connectTimeout = config.getDuration("connect-timeout", Duration.ofSeconds(5));
        if (connectTimeout.isZero() || connectTimeout.isNegative() || connectTimeout.toMillis() > Integer.MAX_VALUE) {
            throw config.invalid("connect-timeout", connectTimeout.toString(), "a positive duration such as 5s");
        }
        WyomingSettings settings = WyomingSettings.read(config, "reconnect-backoff");
        TcpOpener opener = new TcpOpener(host, port, (int) connectTimeout.toMillis());
        WyomingEngine engine = new WyomingEngine(context.instanceName(), config, opener, settings, context.logger());
        try {
            String programs = engine.probe();
            context.logger().log(System.Logger.Level.INFO, "engine '" + context.instanceName() + "': Wyoming server at "
                    + opener.target() + " answers (" + programs + "); one connection per session, " + settings.format());
        } catch (IOException e) {
            context.logger().log(System.Logger.Level.WARNING, "engine '" + context.instanceName() + "': " + e.getMessage()
                    + "; sessions will connect when the server is up");
            engine.unreachable(e.getMessage());
        }
        return engine;
    }
}
