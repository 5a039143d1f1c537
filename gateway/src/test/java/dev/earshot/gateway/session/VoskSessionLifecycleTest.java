package dev.earshot.gateway.session;

import dev.earshot.gateway.pipeline.Pipeline;
import dev.earshot.gateway.runtime.GatewayRuntime;
import dev.earshot.gateway.runtime.TestRuntimes;
import dev.earshot.gateway.settings.RuntimeSettings;

import dev.earshot.spi.source.SessionOutcome;
import dev.earshot.gateway.SpeechFixtures;
import dev.earshot.gateway.plugin.ComponentKind;
import dev.earshot.gateway.plugin.PluginRegistry;
import dev.earshot.spi.audio.AudioFormat;
import dev.earshot.spi.audio.AudioFrame;
import dev.earshot.spi.source.Pacing;
import dev.earshot.spi.transcript.TranscriptEvent;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The session contracts with the real Vosk engine: native recognizers are released, text stays right. */
class VoskSessionLifecycleTest {

    @TempDir
    Path data;

    @Test
    void sessionsClosedAtRandomPointsReleaseEveryNativeRecognizer() throws Exception {
        byte[] speech = Files.readAllBytes(SpeechFixtures.DATA.resolve("goforward.raw"));
        Path home = SpeechFixtures.MODEL.getParent().getParent();
        RuntimeSettings settings = new RuntimeSettings(home, data, Map.of("p", TestRuntimes.pipeline("p", "vosk", List.of(), 50, 16)),
                Map.of(ComponentKind.ENGINE, Map.of()), Map.of(), 2, java.time.Duration.ofSeconds(2),
                java.time.Duration.ofSeconds(10), 16);
        Vertx vertx = Vertx.vertx();
        ExecutorService producers = Executors.newFixedThreadPool(8);
        GatewayRuntime runtime = new GatewayRuntime(vertx, new SimpleMeterRegistry(), settings,
                PluginRegistry.load(getClass().getClassLoader()));
        try {
            runtime.start();
            Pipeline pipeline = runtime.pipeline("p").orElseThrow();
            AtomicInteger correct = new AtomicInteger();
            AtomicInteger ended = new AtomicInteger();
            int baseline = -1;
            for (int round = 0; round < 15; round++) {
                List<CompletableFuture<SessionOutcome>> closed = new ArrayList<>();
                for (int k = 0; k < 8; k++) {
                    boolean graceful = k % 2 == 0;
                    List<String> finals = new java.util.concurrent.CopyOnWriteArrayList<>();
                    Session session = pipeline.openSession(new SessionRequest("test:vosk", AudioFormat.SPEECH_16K,
                            Pacing.LIVE, Map.of(), true, 0, List.of(), new SessionListener() {
                        @Override
                        public void onTranscript(TranscriptEvent event) {
                            if (event.isFinal()) {
                                finals.add(event.text());
                            }
                        }

                        @Override
                        public void onClosed(SessionOutcome reason) {
                            if (reason.isEnded() && String.join(" ", finals).equals("go forward ten meters")) {
                                correct.incrementAndGet();
                            }
                        }
                    }, null));
                    int stopAt = graceful ? Integer.MAX_VALUE : ThreadLocalRandom.current().nextInt(speech.length / 3200);
                    producers.submit(() -> {
                        for (int f = 0, offset = 0; offset < speech.length; f++, offset += 3200) {
                            if (f == stopAt) {
                                session.close();
                                return null;
                            }
                            int length = Math.min(3200, speech.length - offset);
                            session.offer(AudioFrame.copyOf(AudioFormat.SPEECH_16K, speech, offset, length, f, Instant.now()));
                            Thread.sleep(2); // faster than real time, slow enough not to overrun the 50-frame queue
                        }
                        session.end();
                        return null;
                    });
                    closed.add(session.closed().toCompletableFuture());
                    if (graceful) {
                        ended.incrementAndGet();
                    }
                }
                CompletableFuture.allOf(closed.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
                if (round == 0) {
                    SessionLifecycleTest.awaitTrue(() -> pipeline.engine().openRecognizers() == 0, "first round released");
                    baseline = SessionLifecycleTest.threadCount();
                }
            }
            SessionLifecycleTest.awaitTrue(() -> pipeline.engine().openRecognizers() == 0,
                    "native recognizers released, open: " + pipeline.engine().openRecognizers());
            // Sessions closed before their first decoding task never get a recognizer; none gets two.
            long created = pipeline.engine().createdRecognizers();
            assertTrue(created >= ended.get() && created <= 120, "recognizers created: " + created);
            // onClosed reaches the listener on its home event loop after closed() completes: give the last ones time.
            for (long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                 correct.get() < ended.get() && System.nanoTime() < deadline; ) {
                Thread.sleep(10);
            }
            assertEquals(ended.get(), correct.get(), "every session that ran to its end heard 'go forward ten meters'");
            assertNull(java.lang.management.ManagementFactory.getThreadMXBean().findDeadlockedThreads());
            int expected = baseline;
            SessionLifecycleTest.awaitTrue(() -> SessionLifecycleTest.threadCount() <= expected,
                    "threads back to " + expected + ", now " + SessionLifecycleTest.threadCount());
            assertTrue(pipeline.sessionCount() == 0);
        } finally {
            producers.shutdownNow();
            runtime.stop();
            vertx.close();
        }
    }
}
