package dev.earshot.plugins.webhook;

import com.sun.net.httpserver.HttpServer;
import dev.earshot.conformance.PluginContract;
import dev.earshot.conformance.TestPluginContext;
import dev.earshot.conformance.TranscriptSinkContract;
import dev.earshot.spi.Plugin;
import dev.earshot.spi.sink.TranscriptSink;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.Map;

/** The webhook sink against the SPI contracts: a real HTTP receiver on 127.0.0.1, and a closed port. */
class WebhookConformanceTest {

    @Nested
    class Entry extends PluginContract {
        @Override
        protected Class<? extends Plugin> pluginClass() {
            return WebhookPlugin.class;
        }
    }

    @Nested
    class Sink extends TranscriptSinkContract {
        @TempDir
        Path home;
        private HttpServer receiver;

        @AfterEach
        void stopReceiver() {
            if (receiver != null) {
                receiver.stop(0);
            }
        }

        @Override
        protected TranscriptSink createSink() throws Exception {
            receiver = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
            receiver.createContext("/hook", exchange -> {
                exchange.getRequestBody().readAllBytes();
                exchange.sendResponseHeaders(204, -1);
                exchange.close();
            });
            receiver.start();
            return new WebhookSinkFactory().create(TestPluginContext.sink("hook",
                    Map.of("url", "http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook"), home));
        }

        @Override
        protected TranscriptSink createSinkWithUnavailableReceiver() throws Exception {
            int closedPort;
            try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                closedPort = socket.getLocalPort();
            }
            return new WebhookSinkFactory().create(TestPluginContext.sink("hook",
                    Map.of("url", "http://127.0.0.1:" + closedPort + "/hook", "timeout", "2s"), home));
        }
    }
}
