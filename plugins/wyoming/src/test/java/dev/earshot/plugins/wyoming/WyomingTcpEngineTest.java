package dev.earshot.plugins.wyoming;

import dev.earshot.conformance.TestPluginContext;
import dev.earshot.spi.audio.AudioFrame;
import dev.earshot.spi.engine.EngineHealth;
import dev.earshot.spi.transcript.Hypothesis;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The wyoming-tcp engine against a real Wyoming server (PocketSphinx behind Wyoming on 127.0.0.1): it starts while
 * the server is down (degraded), connects when it is up, survives the server being killed mid-stream and reconnects.
 */
class WyomingTcpEngineTest {

    @TempDir
    Path home;

    @Test
    void startsDegradedConnectsWhenTheServerIsUpAndReconnectsAfterItDied() throws Exception {
        int port = PocketsphinxServer.freePort();
        Map<String, String> options = Map.of("host", "127.0.0.1", "port", Integer.toString(port),
                "reconnect-backoff-min", "1s", "reconnect-backoff-max", "2s", "connect-timeout", "1s",
                "queue-frames", "5");
        WyomingEngine engine = (WyomingEngine) new WyomingTcpEngineFactory().create(TestPluginContext.engine("remote", options, home));
        List<String> clips = new ArrayList<>(Speech.librivoxReferences().keySet());
        try {
            EngineHealth down = engine.health();
            assertEquals(EngineHealth.Status.DEGRADED, down.status());
            assertTrue(down.detail().contains("cannot connect to 127.0.0.1:" + port), down.detail());
            List<Hypothesis> heard = new CopyOnWriteArrayList<>();
            try (PocketsphinxServer server = PocketsphinxServer.start(port);
                 WyomingRecognizer recognizer = (WyomingRecognizer) engine.createRecognizer(WyomingProcessEngineTest.session("tcp"), heard::add)) {
                for (AudioFrame frame : Speech.frames(Speech.clip(clips.get(3)), 0)) {
                    recognizer.accept(frame);
                }
                recognizer.flush();
                assertEquals(EngineHealth.up(), engine.health());
                List<Hypothesis> finals = heard.stream().filter(Hypothesis::isFinal).toList();
                assertEquals(1, finals.size(), heard::toString);
                assertTrue(finals.get(0).text().contains("more respectable"), finals.get(0).text());

                server.kill();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (!recognizer.inGap() && System.nanoTime() < deadline) {
                    Thread.sleep(5);
                }
                assertEquals(EngineHealth.Status.DEGRADED, engine.health().status());
                // The queue holds 5 frames: the rest of this clip, sent while the server is away, is dropped and counted.
                for (AudioFrame frame : Speech.frames(Speech.clip(clips.get(1)), 100)) {
                    recognizer.accept(frame);
                }
                assertTrue(recognizer.droppedFrames() > 0);
                recognizer.flush();
                try (PocketsphinxServer again = PocketsphinxServer.start(port)) {
                    deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                    while (engine.health().status() != EngineHealth.Status.UP && System.nanoTime() < deadline) {
                        Thread.sleep(10);
                    }
                    assertEquals(EngineHealth.up(), engine.health());
                    for (AudioFrame frame : Speech.frames(Speech.clip(clips.get(3)), 200)) {
                        recognizer.accept(frame);
                    }
                    recognizer.flush();
                    List<Hypothesis> after = heard.stream().filter(Hypothesis::isFinal).toList();
                    assertEquals(2, after.size(), heard::toString);
                    assertTrue(after.get(1).text().contains("respectable"), after.get(1).text());
                }
            }
        } finally {
            engine.close();
        }
    }
}
