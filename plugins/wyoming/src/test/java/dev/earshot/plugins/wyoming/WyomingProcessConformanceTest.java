package dev.earshot.plugins.wyoming;

import dev.earshot.conformance.SpeechEngineContract;
import dev.earshot.conformance.TestPluginContext;
import dev.earshot.spi.engine.SpeechEngine;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

/** The wyoming-process engine (PocketSphinx behind Wyoming, streaming partials) against the SPI contracts. */
class WyomingProcessConformanceTest extends SpeechEngineContract {

    @TempDir
    Path home;

    @Override
    protected SpeechEngine createEngine() throws Exception {
        return new WyomingProcessEngineFactory().create(TestPluginContext.engine("sphinx",
                WyomingProcessEngineTest.options("args", Speech.PROGRAM + " --partials"), home));
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
