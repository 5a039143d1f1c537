package dev.earshot.gateway.api;

import dev.earshot.gateway.protocol.JvmBaseline;
import dev.earshot.gateway.plugin.PluginJars;
import dev.earshot.spi.SpiVersion;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Plugin jars refused through the real API before any of their code runs: a plugin whose static initialiser writes a
 * marker file is uploaded with a bad name, a name clashing with a built-in and with an installed plugin, another SPI
 * major version, a services file that inflates to 600 MB, an entry over the compression ratio and too many entries.
 * Every upload is refused with the reason, the marker never appears, the plugins folder stays empty and heap and
 * threads come back to their baseline. Also: a plugin that hangs while loading is refused after the time limit, and an
 * upload over the size limit is refused while it streams.
 */
@QuarkusTest
@TestProfile(PluginChecksApiTest.Checked.class)
class PluginChecksApiTest {

    static final String TOKEN = "plugin-checks-token-0123456789";
    /** One folder per test JVM (the test profile and the test see the same one, whatever class loader reads this). */
    static final Path WORK = Path.of("target", "plugin-checks-" + ProcessHandle.current().pid()).toAbsolutePath();
    static final Path PLUGIN_DIR = WORK.resolve("installed-plugins");
    static final Path MARKER = WORK.resolve("static-initialiser-ran.txt");

    public static final class Checked implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("earshot.api.token", TOKEN, "earshot.plugin-dir", PLUGIN_DIR.toString(),
                    "earshot.plugin-checks.load-timeout", "2s");
        }
    }

    /** A hook plugin whose static initialiser writes {@link #MARKER}: the file exists once any of its code ran. */
    static Map<String, String> sneaky(String name) {
        return Map.of("com.example.sneaky.SneakyPlugin", """
                package com.example.sneaky;
                import dev.earshot.spi.*;
                import dev.earshot.spi.hook.*;
                import java.nio.file.*;
                import java.util.List;
                public final class SneakyPlugin implements Plugin {
                    static {
                        try {
                            Files.writeString(Path.of("%s"), "static initialiser ran\\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                        } catch (java.io.IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    }
                    public String name() { return "%s"; }
                    public Iterable<SessionHookFactory> sessionHookFactories() {
                        return List.of(new SessionHookFactory() {
                            public String name() { return "sneaky-hook"; }
                            public SessionHook create(PluginContext context) { return new SessionHook() { }; }
                        });
                    }
                }
                """.formatted(MARKER.toString().replace("\\", "\\\\"), name));
    }

    static Map<String, String> plain(String pkg, String name, String body) {
        return PluginJars.hookPlugin(pkg, name, body);
    }

    static final String SNEAKY = "com.example.sneaky.SneakyPlugin";

    static Response upload(Path jar) {
        return given().header("Authorization", "Bearer " + TOKEN).contentType("application/java-archive").body(jar.toFile())
                .post("/api/plugins");
    }

    static void refused(Path jar, int status, String... reasons) {
        Response response = upload(jar);
        String error = response.jsonPath().getString("error");
        assertEquals(status, response.statusCode(), jar.getFileName() + ": " + response.asString());
        for (String reason : reasons) {
            assertTrue(error != null && error.contains(reason), jar.getFileName() + ": expected '" + reason + "' in: " + error);
        }
        System.out.printf("%s (%d bytes): %d %s%n", jar.getFileName(), size(jar), status, error);
    }

    @Test
    void refusedJarsNeverRunTheirCodeAndLeaveNothingBehind() throws Exception {
        Path jars = Files.createDirectories(WORK.resolve("jars"));
        Path badName = PluginJars.build(jars, "bad-name.jar", sneaky("Sneaky Plugin!"), PluginJars.metadata(SNEAKY, "Sneaky Plugin!", SpiVersion.CURRENT));
        Path noName = PluginJars.build(jars, "no-name.jar", sneaky("sneaky"), Map.of(
                "META-INF/services/dev.earshot.spi.Plugin", SNEAKY + "\n",
                "com/example/sneaky/earshot-plugin.properties", "version=1.0\nspi-version=" + SpiVersion.CURRENT + "\n"));
        Path builtIn = PluginJars.build(jars, "vosk.jar", sneaky("vosk"), PluginJars.metadata(SNEAKY, "vosk", SpiVersion.CURRENT));
        Path installed = PluginJars.build(jars, "checked.jar", plain("checked", "checked", ""),
                PluginJars.metadata("com.example.checked.Plain", "checked", SpiVersion.CURRENT));
        Path sameName = PluginJars.build(jars, "same-name.jar", sneaky("checked"), PluginJars.metadata(SNEAKY, "checked", SpiVersion.CURRENT));
        Path oldSpi = PluginJars.build(jars, "old-spi.jar", sneaky("sneaky"), PluginJars.metadata(SNEAKY, "sneaky", "99.0.0"));
        Map<String, String> propertiesOnly = new HashMap<>(PluginJars.metadata(SNEAKY, "sneaky", SpiVersion.CURRENT));
        propertiesOnly.remove("META-INF/services/dev.earshot.spi.Plugin");
        Path servicesBomb = PluginJars.build(jars, "services-bomb.jar", sneaky("sneaky"), propertiesOnly,
                PluginJars.bomb("META-INF/services/dev.earshot.spi.Plugin", SNEAKY + "\n", 600L << 20));
        Path ratioBomb = PluginJars.build(jars, "ratio-bomb.jar", sneaky("sneaky"), PluginJars.metadata(SNEAKY, "sneaky", SpiVersion.CURRENT),
                PluginJars.bomb("assets/blob.txt", "", 300L << 20));
        Path crowded = PluginJars.build(jars, "crowded.jar", sneaky("sneaky"), PluginJars.metadata(SNEAKY, "sneaky", SpiVersion.CURRENT),
                PluginJars.entries(20_001));
        long[] baseline = JvmBaseline.measure();

        refused(badName, 400, "is named 'Sneaky Plugin!' (name in com/example/sneaky/earshot-plugin.properties); a plugin name is 1 to 64"
                + " lower-case letters, digits, '.', '_' or '-'");
        refused(noName, 400, "com/example/sneaky/earshot-plugin.properties has no name: add name=<plugin name>");
        refused(builtIn, 409, "plugin 'vosk' is built into the gateway");
        assertEquals(201, upload(installed).statusCode(), "a checked plugin installs");
        refused(sameName, 409, "plugin 'checked' is already installed (" + PLUGIN_DIR.resolve("checked.jar")
                + "); uninstall it first (DELETE /api/plugins/checked)");
        given().header("Authorization", "Bearer " + TOKEN).delete("/api/plugins/checked").then().statusCode(200);
        refused(oldSpi, 400, "plugin 'sneaky' was built against SPI 99.0.0, but this gateway runs SPI " + SpiVersion.CURRENT
                + ": a different major version");
        refused(servicesBomb, 400, "the entry 'META-INF/services/dev.earshot.spi.Plugin' inflates to more than 65536 bytes,"
                + " the limit for the plugin's metadata files");
        refused(ratioBomb, 400, "the entry 'assets/blob.txt' inflates more than 100 times its compressed size of",
                "(earshot.plugin-checks.max-compression-ratio)");
        refused(crowded, 400, "entries, more than the limit of 20000 (earshot.plugin-checks.max-entries)");

        assertFalse(Files.exists(MARKER), "no code of a refused jar ran");
        assertEquals(List.of(), folderContents(), "nothing left in the plugins folder");
        given().header("Authorization", "Bearer " + TOKEN).get("/api/plugins/sneaky").then().statusCode(404);
        long[] after = JvmBaseline.measure();
        System.out.printf("threads %d -> %d, heap after GC %d -> %d MiB%n", baseline[0], after[0], baseline[1] >> 20, after[1] >> 20);
        JvmBaseline.assertBack(baseline, after);
    }

    @Test
    void aPluginThatHangsWhileLoadingIsRefusedAfterTheTimeLimit() throws Exception {
        Path jar = PluginJars.build(Files.createDirectories(WORK.resolve("slow")), "sleepy.jar",
                plain("sleepy", "sleepy", "static { try { Thread.sleep(60_000); } catch (InterruptedException e) { throw new IllegalStateException(e); } }"),
                PluginJars.metadata("com.example.sleepy.Plain", "sleepy", SpiVersion.CURRENT));
        long begin = System.nanoTime();
        refused(jar, 400, "plugin 'sleepy' (sleepy.jar) did not finish loading within 2000 ms (earshot.plugin-checks.load-timeout)");
        long took = (System.nanoTime() - begin) / 1_000_000;
        System.out.printf("sleepy.jar refused after %d ms%n", took);
        assertTrue(took < 30_000, "refused after the 2 s limit, long before the plugin's 60 s: " + took + " ms");
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (loadThreads() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertEquals(0, loadThreads(), "the loading thread was interrupted and ended");
        assertEquals(List.of(), folderContents(), "nothing left in the plugins folder");
        given().header("Authorization", "Bearer " + TOKEN).get("/api/plugins/sleepy").then().statusCode(404);
    }

    @Test
    void anUploadOverTheSizeLimitIsRefusedWhileItStreams() throws Exception {
        Path big = Files.createDirectories(WORK).resolve("big.jar");
        try (OutputStream out = Files.newOutputStream(big)) {
            byte[] chunk = new byte[1 << 20];
            for (int i = 0; i < 30; i++) {
                out.write(chunk);
            }
        }
        long[] baseline = JvmBaseline.measure();
        Response response = upload(big);
        assertEquals(413, response.statusCode(), response.asString());
        assertTrue(response.asString().contains("the plugin jar is larger than 20971520 bytes (earshot.api.max-plugin-size)"),
                response.asString());
        assertEquals(List.of(), folderContents(), "the partial upload was deleted");
        JvmBaseline.assertBack(baseline, JvmBaseline.measure());
        Files.delete(big);
    }

    @AfterAll
    static void deleteWork() throws IOException {
        if (Files.isDirectory(WORK)) {
            try (Stream<Path> files = Files.walk(WORK)) {
                for (Path file : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(file);
                }
            }
        }
    }

    private static long loadThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("earshot-plugin-load-")).count();
    }

    private static List<String> folderContents() throws IOException {
        if (!Files.isDirectory(PLUGIN_DIR)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(PLUGIN_DIR)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static long size(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
