package dev.earshot.gateway.plugin;

import dev.earshot.gateway.pipeline.Pipeline;
import dev.earshot.gateway.runtime.GatewayRuntime;
import dev.earshot.gateway.runtime.TestRuntimes;
import dev.earshot.gateway.session.Session;
import dev.earshot.gateway.session.SessionRequest;
import dev.earshot.gateway.settings.PipelineSettings;

import dev.earshot.spi.source.SessionOutcome;
import dev.earshot.gateway.plugin.ComponentKind;
import dev.earshot.gateway.plugin.LoadedPlugin;
import dev.earshot.gateway.plugin.PluginFolder;
import dev.earshot.gateway.plugin.PluginInstallException;
import dev.earshot.spi.SpiVersion;
import dev.earshot.spi.audio.AudioFormat;
import dev.earshot.spi.audio.AudioFrame;
import dev.earshot.spi.source.Pacing;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.lang.ref.WeakReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Plugins installed from jars while the runtime runs: a class loader of their own that shares only the SPI, the SPI
 * version check, use in a pipeline, refusal to uninstall while in use, and no class loader leak after uninstall.
 */
class PluginInstallTest {

    /** A hook plugin that bundles its own {@code io.vertx.core.Vertx} (a clash with the gateway's, on purpose). */
    private static final Map<String, String> MARKER = Map.of(
            "io.vertx.core.Vertx", """
                    package io.vertx.core;
                    public final class Vertx {
                        public static String origin() { return "the plugin's own Vertx"; }
                    }
                    """,
            "com.example.marker.MarkerPlugin", """
                    package com.example.marker;
                    import dev.earshot.spi.*;
                    import dev.earshot.spi.hook.*;
                    import java.nio.file.*;
                    import java.util.List;
                    public final class MarkerPlugin implements Plugin {
                        public String name() { return "marker"; }
                        static boolean visible(String type) {
                            try {
                                Class.forName(type, false, MarkerPlugin.class.getClassLoader());
                                return true;
                            } catch (ClassNotFoundException e) {
                                return false;
                            }
                        }
                        public Iterable<SessionHookFactory> sessionHookFactories() {
                            return List.of(new SessionHookFactory() {
                                public String name() { return "marker"; }
                                public SessionHook create(PluginContext context) {
                                    Path file = context.resolvePath(context.config().require("path", "a file"));
                                    String seen = io.vertx.core.Vertx.origin() + ", loaded by "
                                            + io.vertx.core.Vertx.class.getClassLoader().getName()
                                            + ", host Vert.x shared: " + context.hostService(io.vertx.core.Vertx.class).isPresent()
                                            + ", sees the gateway: " + visible("dev.earshot.gateway.runtime.GatewayRuntime")
                                            + ", sees Jackson: " + visible("com.fasterxml.jackson.databind.ObjectMapper");
                                    return new SessionHook() {
                                        public void sessionStarted(SessionInfo session) throws Exception {
                                            Files.writeString(file, "started " + session.pipeline() + ": " + seen + "\\n",
                                                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                                        }
                                    };
                                }
                            });
                        }
                    }
                    """);

    @TempDir
    Path home;

    private Vertx vertx;
    private GatewayRuntime runtime;
    private PluginFolder folder;
    private Path marks;

    @BeforeEach
    void start() {
        vertx = Vertx.vertx();
        marks = home.resolve("marks.txt");
        Map<String, PipelineSettings> pipelines = Map.of(
                "plain", new PipelineSettings("plain", true, Optional.empty(), "counting", List.of(), List.of(), 8, 8),
                "marked", new PipelineSettings("marked", false, Optional.empty(), "counting", List.of(), List.of("mark"), 8, 8));
        Map<String, Map<String, String>> hooks = Map.of("mark", Map.of("type", "marker", "path", marks.toString()));
        runtime = TestRuntimes.start(vertx, TestRuntimes.settings(home, pipelines, Map.of(ComponentKind.HOOK, hooks), 2), new FakePlugin());
        folder = new PluginFolder(home.resolve("installed-plugins"));
    }

    @AfterEach
    void stop() {
        runtime.stop();
        vertx.close();
    }

    private LoadedPlugin install(Path jar) throws Exception {
        PluginFolder.Staged staged = folder.stage(new ByteArrayInputStream(Files.readAllBytes(jar)), 1 << 20, Optional.empty(), runtime.plugins()::plugin);
        return runtime.install(folder.commit(staged));
    }

    private static Session run(Pipeline pipeline) throws Exception {
        Session session = pipeline.openSession(SessionRequest.of("test:plugins", AudioFormat.SPEECH_16K, Pacing.PACED));
        for (int i = 0; i < 3; i++) {
            session.put(AudioFrame.copyOf(AudioFormat.SPEECH_16K, new byte[320], 0, 320, i, Instant.now()));
        }
        session.end();
        assertEquals(SessionOutcome.ended(), session.closed().toCompletableFuture().get(10, TimeUnit.SECONDS));
        return session;
    }

    @Test
    void anInstalledPluginRunsInItsOwnClassLoaderAndIsCollectedAfterUninstall() throws Exception {
        Path jar = PluginJars.build(home, "marker.jar", MARKER, PluginJars.metadata("com.example.marker.MarkerPlugin", "marker", SpiVersion.CURRENT));
        Pipeline marked = runtime.pipeline("marked").orElseThrow();
        var missing = assertThrows(IllegalStateException.class, marked::start);
        assertTrue(missing.getMessage().contains("unknown hook type 'marker'") && missing.getMessage().contains("installed plugins: fake"),
                missing.getMessage());

        LoadedPlugin plugin = install(jar);
        assertEquals("2.3.4", plugin.version());
        assertEquals(SpiVersion.CURRENT, plugin.spiVersion());
        assertEquals(LoadedPlugin.State.STARTED, plugin.state());
        marked.start();
        run(marked);
        assertEquals("started marked: the plugin's own Vertx, loaded by earshot-plugin:marker.jar, host Vert.x shared: false,"
                        + " sees the gateway: false, sees Jackson: false\n",
                Files.readString(marks));

        var inUse = assertThrows(PluginInstallException.class, () -> runtime.uninstall("marker"));
        assertEquals(PluginInstallException.Reason.IN_USE, inUse.reason());
        assertTrue(inUse.getMessage().contains("used by running pipeline(s) marked"), inUse.getMessage());

        marked.stop(java.time.Duration.ofSeconds(5));
        WeakReference<ClassLoader> loader = new WeakReference<>(plugin.plugin().getClass().getClassLoader());
        LoadedPlugin removed = runtime.uninstall("marker");
        folder.delete(removed);
        plugin = null;
        removed = null;
        assertFalse(Files.exists(home.resolve("installed-plugins/marker.jar")), "jar deleted");
        assertTrue(runtime.plugins().plugin("marker").isEmpty());
        assertNull(marked.engine(), "the pipeline let go of its components");
        for (int i = 0; i < 50 && loader.get() != null; i++) {
            System.gc();
            Thread.sleep(100);
        }
        assertNull(loader.get(), "the uninstalled plugin's class loader was garbage collected");

        var gone = assertThrows(IllegalStateException.class, marked::start);
        assertTrue(gone.getMessage().contains("unknown hook type 'marker'"), gone.getMessage());
        run(runtime.pipeline("plain").orElseThrow());
    }

    @Test
    void anotherSpiMajorVersionIsRefusedNamingBothVersions() throws Exception {
        Path jar = PluginJars.build(home, "old.jar", MARKER, PluginJars.metadata("com.example.marker.MarkerPlugin", "marker", "99.1.0"));
        var refused = assertThrows(PluginInstallException.class,
                () -> folder.stage(new ByteArrayInputStream(Files.readAllBytes(jar)), 1 << 20, Optional.empty(), runtime.plugins()::plugin));
        assertEquals(PluginInstallException.Reason.INVALID, refused.reason());
        assertTrue(refused.getMessage().contains("built against SPI 99.1.0, but this gateway runs SPI " + SpiVersion.CURRENT),
                refused.getMessage());
        try (var left = Files.list(home.resolve("installed-plugins"))) {
            assertEquals(List.of(), left.toList(), "nothing left in the plugins folder");
        }
    }

    @Test
    void jarsWithoutAPluginOrOverTheLimitAreRefusedWithTheReason() throws Exception {
        Path empty = PluginJars.build(home, "empty.jar", Map.of("com.example.Nothing", "package com.example; class Nothing {}"), Map.of());
        var noPlugin = assertThrows(PluginInstallException.class,
                () -> folder.stage(new ByteArrayInputStream(Files.readAllBytes(empty)), 1 << 20, Optional.empty(), runtime.plugins()::plugin));
        assertTrue(noPlugin.getMessage().startsWith("no plugin inside: the jar has no META-INF/services/dev.earshot.spi.Plugin"),
                noPlugin.getMessage());
        Path jar = PluginJars.build(home, "marker.jar", MARKER, PluginJars.metadata("com.example.marker.MarkerPlugin", "marker", SpiVersion.CURRENT));
        var tooLarge = assertThrows(PluginInstallException.class,
                () -> folder.stage(new ByteArrayInputStream(Files.readAllBytes(jar)), 100, Optional.empty(), runtime.plugins()::plugin));
        assertEquals(PluginInstallException.Reason.TOO_LARGE, tooLarge.reason());
        var clash = assertThrows(PluginInstallException.class, () -> {
            install(jar);
            install(jar);
        });
        assertEquals(PluginInstallException.Reason.CONFLICT, clash.reason());
        assertTrue(clash.getMessage().contains("plugin 'marker' is already installed"), clash.getMessage());
    }
}
