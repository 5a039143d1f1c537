package dev.earshot.gateway.plugin;

import dev.earshot.gateway.pipeline.Pipeline;
import dev.earshot.gateway.runtime.GatewayRuntime;
import dev.earshot.gateway.runtime.TestRuntimes;
import dev.earshot.gateway.session.Session;
import dev.earshot.gateway.session.SessionLifecycleTest;
import dev.earshot.gateway.session.SessionRequest;
import dev.earshot.gateway.settings.PipelineSettings;

import dev.earshot.spi.source.SessionOutcome;
import dev.earshot.gateway.plugin.ComponentKind;
import dev.earshot.gateway.plugin.LoadedPlugin;
import dev.earshot.spi.Plugin;
import dev.earshot.spi.PluginContext;
import dev.earshot.spi.audio.AudioFormat;
import dev.earshot.spi.audio.AudioFrame;
import dev.earshot.spi.hook.SessionHook;
import dev.earshot.spi.hook.SessionHookFactory;
import dev.earshot.spi.source.Pacing;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A plugin that throws or hangs in its start hook fails only the pipelines that use it; the others keep running. */
class PluginHookIsolationTest {

    /** A plugin providing hook type {@code <name>}, whose start hook throws or hangs. */
    private static final class BadPlugin implements Plugin {
        private final String name;
        private final boolean hang;
        private final CountDownLatch released = new CountDownLatch(1);

        BadPlugin(String name, boolean hang) {
            this.name = name;
            this.hang = hang;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public Iterable<SessionHookFactory> sessionHookFactories() {
            return List.of(new SessionHookFactory() {
                @Override
                public String name() {
                    return name;
                }

                @Override
                public SessionHook create(PluginContext context) {
                    throw new AssertionError("no factory of a failed plugin is called");
                }
            });
        }

        @Override
        public void start(PluginContext context) throws Exception {
            if (hang) {
                released.await(); // interrupted at the time limit
            }
            throw new IllegalStateException("cannot reach the license server");
        }
    }

    @TempDir
    Path home;

    private Vertx vertx;
    private GatewayRuntime runtime;

    @AfterEach
    void stop() {
        if (runtime != null) {
            runtime.stop();
        }
        vertx.close();
    }

    @Test
    void throwingAndHangingStartHooksFailOnlyTheirPipelines() throws Exception {
        vertx = Vertx.vertx();
        Map<String, PipelineSettings> pipelines = Map.of(
                "healthy", new PipelineSettings("healthy", true, Optional.empty(), "counting", List.of("memory"), List.of(), 8, 8),
                "licensed", new PipelineSettings("licensed", true, Optional.empty(), "counting", List.of(), List.of("licensed"), 8, 8),
                "stuck", new PipelineSettings("stuck", true, Optional.empty(), "counting", List.of(), List.of("stuck"), 8, 8));
        FakePlugin fake = new FakePlugin();
        runtime = TestRuntimes.start(vertx, TestRuntimes.settings(home, pipelines, Map.of(ComponentKind.HOOK, Map.of()), 2),
                fake, new BadPlugin("licensed", false), new BadPlugin("stuck", true));

        assertEquals(GatewayRuntime.State.RUNNING, runtime.state());
        Pipeline licensed = runtime.pipeline("licensed").orElseThrow();
        assertEquals(Pipeline.State.FAILED, licensed.state());
        assertEquals("cannot use plugin 'licensed' (for hook 'licensed'): plugin 'licensed' hook start failed:"
                + " cannot reach the license server", licensed.failure());
        Pipeline stuck = runtime.pipeline("stuck").orElseThrow();
        assertEquals(Pipeline.State.FAILED, stuck.state());
        assertTrue(stuck.failure().endsWith("plugin 'stuck' hook start did not return within 2000 ms"), stuck.failure());
        LoadedPlugin stuckPlugin = runtime.plugins().plugin("stuck").orElseThrow();
        assertEquals(LoadedPlugin.State.FAILED, stuckPlugin.state());
        assertEquals("plugin 'stuck' hook start did not return within 2000 ms", stuckPlugin.failure());

        // A failed plugin's pipeline refuses to start again, naming the plugin and the hook.
        var again = assertThrows(IllegalStateException.class, licensed::start);
        assertTrue(again.getMessage().contains("plugin 'licensed' hook start failed"), again.getMessage());

        Pipeline healthy = runtime.pipeline("healthy").orElseThrow();
        assertEquals(Pipeline.State.RUNNING, healthy.state());
        Session session = healthy.openSession(SessionRequest.of("test:isolation", AudioFormat.SPEECH_16K, Pacing.PACED));
        for (int i = 0; i < 5; i++) {
            session.put(AudioFrame.copyOf(AudioFormat.SPEECH_16K, new byte[320], 0, 320, i, Instant.now()));
        }
        session.end();
        assertEquals(SessionOutcome.ended(), session.closed().toCompletableFuture().get(10, TimeUnit.SECONDS));
        assertEquals(5, session.framesDecoded());
        // Sinks are decoupled from the session: the final reaches the sink after the session has closed, not before.
        SessionLifecycleTest.awaitTrue(() -> fake.delivered.stream().anyMatch(e -> e.isFinal() && e.session().equals(session.id())),
                "the healthy pipeline's sink got its final");
    }
}
