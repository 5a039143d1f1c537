package dev.earshot.plugins.wyoming;

import dev.earshot.conformance.SpeechEngineContract;
import dev.earshot.conformance.TestPluginContext;
import dev.earshot.spi.engine.SpeechEngine;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

/** The wyoming-tcp engine, connected to PocketSphinx behind Wyoming on 127.0.0.1, against the SPI contracts. */
class WyomingTcpConformanceTest extends SpeechEngineContract {

    private static PocketsphinxServer server;

    @TempDir
    Path home;

    @BeforeAll
    static void startServer() throws Exception {
        server = PocketsphinxServer.start(PocketsphinxServer.freePort());
    }

    @AfterAll
    static void stopServer() throws Exception {
        server.close();
    }

    @Override
    protected SpeechEngine createEngine() throws Exception {
        return new WyomingTcpEngineFactory().create(TestPluginContext.engine("remote",
                Map.of("host", "127.0.0.1", "port", Integer.toString(server.port)), home));
    }

    @Override
    protected byte[] speech() throws Exception {
        return Speech.clip(Speech.librivoxReferences().keySet().iterator().next());
    }

    @Override
    protected int closeRaceRuns() {
        return 6;
    }
}
