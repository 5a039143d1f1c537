package dev.earshot.gateway.pipeline;

import dev.earshot.spi.source.SessionOutcome;
import dev.earshot.gateway.plugin.FakePlugin;
import dev.earshot.gateway.runtime.GatewayRuntime;
import dev.earshot.gateway.runtime.TestRuntimes;
import dev.earshot.gateway.session.Session;
import dev.earshot.gateway.session.SessionLifecycleTest;
import dev.earshot.gateway.session.SessionRequest;
import dev.earshot.gateway.settings.PipelineSettings;
import dev.earshot.gateway.plugin.ComponentKind;
import dev.earshot.spi.audio.AudioFormat;
import dev.earshot.spi.audio.AudioFrame;
import dev.earshot.spi.source.Pacing;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Session hooks run under the time limit; a failing hook fails only its own pipeline's sessions. */
class SessionHookTest {

    @TempDir
    Path home;

    private Vertx vertx;
    private FakePlugin plugin;
    private GatewayRuntime runtime;

    @BeforeEach
    void start() {
        vertx = Vertx.vertx();
        plugin = new FakePlugin();
        Map<String, PipelineSettings> pipelines = Map.of(
                "good", new PipelineSettings("good", true, Optional.empty(), "counting", List.of(), List.of("recorder"), 8, 8),
                "refusing", new PipelineSettings("refusing", true, Optional.empty(), "counting", List.of(), List.of("refuser"), 8, 8),
                "stuck", new PipelineSettings("stuck", true, Optional.empty(), "counting", List.of(), List.of("hanger"), 8, 8));
        Map<String, Map<String, String>> hooks = Map.of(
                "recorder", Map.of("type", "probe"),
                "refuser", Map.of("type", "probe", "on-start", "throw"),
                "hanger", Map.of("type", "probe", "on-start", "hang"));
        runtime = TestRuntimes.start(vertx, TestRuntimes.settings(home, pipelines, Map.of(ComponentKind.HOOK, hooks), 2), plugin);
    }

    @AfterEach
    void stop() {
        runtime.stop();
        vertx.close();
    }

    private static Session open(Pipeline pipeline) throws InterruptedException {
        Session session = pipeline.openSession(SessionRequest.of("test:hooks", AudioFormat.SPEECH_16K, Pacing.PACED));
        for (int i = 0; i < 5; i++) {
            session.put(AudioFrame.copyOf(AudioFormat.SPEECH_16K, new byte[320], 0, 320, i, Instant.now()));
        }
        session.end();
        return session;
    }

    @Test
    void hooksSeeStartAndStopOfEverySession() throws Exception {
        Session session = open(runtime.pipeline("good").orElseThrow());
        assertEquals(SessionOutcome.ended(), session.closed().toCompletableFuture().get(10, TimeUnit.SECONDS));
        assertEquals(List.of("started " + session.id(), "stopped " + session.id() + " ended"), plugin.hookCalls);
    }

    @Test
    void aSessionClosedBeforeItsHooksStartedIsNotReportedAsStoppedEither() throws Exception {
        Pipeline good = runtime.pipeline("good").orElseThrow();
        plugin.decodeDelay = Duration.ofMillis(200);
        // Two sessions of 5 frames at 200 ms each keep both decoding threads busy for about a second.
        Session first = open(good);
        Session second = open(good);
        SessionLifecycleTest.awaitTrue(() -> plugin.hookCalls.containsAll(
                List.of("started " + first.id(), "started " + second.id())), "both decoding threads at work");
        Session early = good.openSession(SessionRequest.of("test:early", AudioFormat.SPEECH_16K, Pacing.PACED));
        early.close(); // its first decoding task, which would run the started hooks, is still queued
        for (Session session : List.of(first, second, early)) {
            session.closed().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
        plugin.decodeDelay = Duration.ZERO;
        assertTrue(plugin.hookCalls.stream().noneMatch(call -> call.contains(early.id())), "no hook call for "
                + early.id() + ": " + plugin.hookCalls);
        assertEquals(java.util.stream.Stream.of("started " + first.id(), "started " + second.id(),
                "stopped " + first.id() + " ended", "stopped " + second.id() + " ended").sorted().toList(),
                plugin.hookCalls.stream().sorted().toList());
        assertEquals(0, good.sessionCount());
    }

    @Test
    void aThrowingHookFailsItsSessionWithAnErrorNamingTheHookAndOthersKeepRunning() throws Exception {
        Session refused = open(runtime.pipeline("refusing").orElseThrow());
        SessionOutcome reason = refused.closed().toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertEquals(SessionOutcome.refused("plugin 'fake' hook 'refuser' sessionStarted failed: probe refuses test:hooks"), reason);
        assertEquals(0, refused.framesDecoded());
        Session fine = open(runtime.pipeline("good").orElseThrow());
        assertEquals(SessionOutcome.ended(), fine.closed().toCompletableFuture().get(10, TimeUnit.SECONDS));
        assertEquals(5, fine.framesDecoded());
    }

    @Test
    void aHangingHookIsCutOffAtTheTimeLimit() throws Exception {
        long begin = System.nanoTime();
        Session stuck = open(runtime.pipeline("stuck").orElseThrow());
        SessionOutcome reason = stuck.closed().toCompletableFuture().get(10, TimeUnit.SECONDS);
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begin);
        assertEquals(SessionOutcome.refused("plugin 'fake' hook 'hanger' sessionStarted did not return within 2000 ms"), reason);
        assertTrue(millis < 8000, "cut off near the 2 s limit, took " + millis + " ms");
        Pipeline pipeline = runtime.pipeline("stuck").orElseThrow();
        assertEquals(0, pipeline.engine().openRecognizers());
        // A hook that overran may hold its thread for good: the pipeline using it fails, the plugin shows why.
        assertEquals(Pipeline.State.FAILED, pipeline.state());
        assertEquals("plugin 'fake' hook 'hanger' sessionStarted did not return within 2000 ms", pipeline.failure());
        assertEquals(pipeline.failure(), runtime.plugins().plugin("fake").orElseThrow().failure());
        Session fine = open(runtime.pipeline("good").orElseThrow());
        assertEquals(SessionOutcome.ended(), fine.closed().toCompletableFuture().get(10, TimeUnit.SECONDS));
    }
}
