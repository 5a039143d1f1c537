package dev.earshot.gateway;

import dev.earshot.spi.SpiVersion;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every example plugin under {@code examples/} and a project made from the plugin template by
 * {@code bin/earshot-plugin new} for each plugin type, built in one offline Maven run against this build's SPI and
 * conformance-kit jars, as docs/plugins.md tells an author to: each passes its conformance tests (and its own). The
 * engine, source and hook examples then run in the packaged gateway. Also checks the SPI's and the kit's sources and
 * javadoc jars that authors' IDEs use.
 */
class ExamplesBuildIT {

    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    /** Generated project name, its types, and the conformance test classes (with their test counts) it must run. */
    static final Map<String, String> GENERATED = Map.of(
            "door-bell", "sink",
            "line-in", "source",
            "word-spotter", "engine",
            "audit-log", "hook",
            "all-in-one", "source,engine,sink,hook");

    /** The number of tests a kit contract declares, read from the kit's source so that a new contract test needs no edit here. */
    static int contract(String name) {
        try {
            String source = Files.readString(ROOT.resolve("conformance/src/main/java/dev/earshot/conformance/" + name + ".java"));
            int tests = (int) Pattern.compile("^\\s*@Test\\b", Pattern.MULTILINE).matcher(source).results().count();
            if (tests == 0) {
                throw new IllegalStateException(name + " declares no @Test");
            }
            return tests;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Conformance suites every build must have run, as surefire report name -> test count. */
    static final Map<String, Integer> SUITES = Map.ofEntries(
            Map.entry("examples/keyword-alert|com.example.keywordalert.KeywordAlertConformanceTest$TheSink", contract("TranscriptSinkContract")),
            Map.entry("examples/energy-engine|com.example.energyengine.EnergyEngineConformanceTest$TheEngine", contract("SpeechEngineContract")),
            Map.entry("examples/energy-engine|com.example.energyengine.EnergyEngineConformanceTest$ThePlugin", contract("PluginContract")),
            Map.entry("examples/energy-engine|com.example.energyengine.EnergyEngineTest", 4),
            Map.entry("examples/tone-source|com.example.tonesource.ToneSourceConformanceTest$TheSource", contract("CaptureSourceContract")),
            Map.entry("examples/tone-source|com.example.tonesource.ToneSourceConformanceTest$ThePlugin", contract("PluginContract")),
            Map.entry("examples/tone-source|com.example.tonesource.ToneSourceTest", 4),
            Map.entry("examples/office-hours|com.example.officehours.OfficeHoursConformanceTest$TheHook", contract("SessionHookContract")),
            Map.entry("examples/office-hours|com.example.officehours.OfficeHoursConformanceTest$ThePlugin", contract("PluginContract")),
            Map.entry("examples/office-hours|com.example.officehours.OfficeHoursTest", 4),
            Map.entry("door-bell|com.example.doorbell.DoorBellConformanceTest$TheSink", contract("TranscriptSinkContract")),
            Map.entry("door-bell|com.example.doorbell.DoorBellConformanceTest$ThePlugin", contract("PluginContract")),
            Map.entry("line-in|com.example.linein.LineInConformanceTest$TheSource", contract("CaptureSourceContract")),
            Map.entry("word-spotter|com.example.wordspotter.WordSpotterConformanceTest$TheEngine", contract("SpeechEngineContract")),
            Map.entry("audit-log|com.example.auditlog.AuditLogConformanceTest$TheHook", contract("SessionHookContract")),
            Map.entry("all-in-one|com.example.allinone.AllInOneConformanceTest$TheSource", contract("CaptureSourceContract")),
            Map.entry("all-in-one|com.example.allinone.AllInOneConformanceTest$TheEngine", contract("SpeechEngineContract")),
            Map.entry("all-in-one|com.example.allinone.AllInOneConformanceTest$TheSink", contract("TranscriptSinkContract")),
            Map.entry("all-in-one|com.example.allinone.AllInOneConformanceTest$TheHook", contract("SessionHookContract")));

    static final Pattern COUNTS = Pattern.compile("<testsuite [^>]*?tests=\"(\\d+)\"[^>]*?errors=\"(\\d+)\"[^>]*?skipped=\"(\\d+)\"[^>]*?failures=\"(\\d+)\"");

    @TempDir
    static Path work;

    /** Builds everything once; the tests check the outcome and run the examples' jars in a gateway. */
    @BeforeAll
    static void buildExamplesAndGeneratedProjects() throws Exception {
        // The examples as an author gets them (no build output), then one project per type from the template.
        ExamplePluginIT.copyTree(ROOT.resolve("examples"), work.resolve("examples"));
        Files.createDirectories(work.resolve("generated"));
        for (Map.Entry<String, String> project : GENERATED.entrySet()) {
            Process generate = new ProcessBuilder(ROOT.resolve("bin/earshot-plugin").toString(), "new", project.getKey(),
                    project.getValue()).directory(work.resolve("generated").toFile()).redirectErrorStream(true).start();
            String output = new String(generate.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(generate.waitFor(60, TimeUnit.SECONDS));
            assertEquals(0, generate.exitValue(), output);
            assertTrue(output.contains("created " + project.getKey() + ": plugin '" + project.getKey() + "'"), output);
        }
        assertFalse(Files.exists(work.resolve("generated/door-bell/src/main/java/com/example/doorbell/DoorBellSource.java")),
                "a sink project has no source class");
        String sinkPlugin = Files.readString(work.resolve("generated/door-bell/src/main/java/com/example/doorbell/DoorBellPlugin.java"));
        assertTrue(sinkPlugin.contains("return \"door-bell\";") && sinkPlugin.contains("sinkFactories()")
                && !sinkPlugin.contains("engineFactories()") && !sinkPlugin.contains("// begin") && !sinkPlugin.contains("emplate"),
                sinkPlugin);
        String readme = Files.readString(work.resolve("generated/door-bell/README.md"));
        assertTrue(readme.contains("src/main/java/com/example/doorbell/DoorBellPlugin.java") && readme.contains("## Sink `door-bell`")
                && !readme.contains("## Engine") && !readme.contains("<!--") && !readme.contains("emplate"), readme);

        // One aggregator over the examples' own aggregator and the generated projects: one Maven run.
        StringBuilder modules = new StringBuilder("    <module>examples</module>\n");
        GENERATED.keySet().forEach(name -> modules.append("    <module>generated/").append(name).append("</module>\n"));
        Files.writeString(work.resolve("pom.xml"), """
                <project xmlns="http://maven.apache.org/POM/4.0.0">
                  <modelVersion>4.0.0</modelVersion>
                  <groupId>test</groupId>
                  <artifactId>all-examples</artifactId>
                  <version>1</version>
                  <packaging>pom</packaging>
                  <modules>
                %s  </modules>
                </project>
                """.formatted(modules));
        Path spiJar = Path.of(System.getProperty("test.spi.jar")).toAbsolutePath();
        Path kitJar = Path.of(System.getProperty("test.conformance.jar")).toAbsolutePath();
        assertTrue(Files.isRegularFile(spiJar) && Files.isRegularFile(kitJar), spiJar + ", " + kitJar);
        List<String> command = new ArrayList<>(List.of(ExamplePluginIT.maven(), "-B", "-o", "-ntp", "-q", "package",
                "-Dearshot.spi.jar=" + spiJar, "-Dearshot.conformance.jar=" + kitJar));
        String repo = System.getProperty("test.maven.repo.local", "");
        if (!repo.isBlank()) {
            command.add("-Dmaven.repo.local=" + repo);
        }
        Path log = work.resolve("build.log");
        long started = System.nanoTime();
        Process build = new ProcessBuilder(command).directory(work.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        assertTrue(build.waitFor(10, TimeUnit.MINUTES), "the examples build within 10 min");
        assertEquals(0, build.exitValue(), "examples build; log:\n" + Files.readString(log));
        System.out.printf("examples and %d generated projects built and tested in %d s%n", GENERATED.size(),
                TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started));
    }

    @Test
    void examplesAndGeneratedProjectsBuildOfflineAndPassTheirConformanceTests() throws Exception {

        List<String> wrong = new ArrayList<>();
        for (Map.Entry<String, Integer> suite : SUITES.entrySet()) {
            String[] parts = suite.getKey().split("\\|");
            Path folder = parts[0].startsWith("examples/") ? work.resolve(parts[0]) : work.resolve("generated").resolve(parts[0]);
            Path report = folder.resolve("target/surefire-reports/TEST-" + parts[1] + ".xml");
            assertTrue(Files.isRegularFile(report), "no test report " + report);
            Matcher counts = COUNTS.matcher(Files.readString(report));
            assertTrue(counts.find(), report.toString());
            List<Integer> found = List.of(Integer.parseInt(counts.group(1)), Integer.parseInt(counts.group(2)),
                    Integer.parseInt(counts.group(3)), Integer.parseInt(counts.group(4)));
            if (!found.equals(List.of(suite.getValue(), 0, 0, 0))) {
                wrong.add(suite.getKey() + ": expected " + suite.getValue() + " tests, 0 errors, 0 skipped, 0 failures; was " + found);
            }
        }
        assertEquals(List.of(), wrong, "tests, errors, skipped, failures per suite");

        // Each jar is installable: its services entry and its metadata, naming this build's SPI version.
        Map<String, String> jars = Map.of(
                "examples/keyword-alert/target/earshot-keyword-alert-1.0.0.jar", "keyword-alert",
                "examples/energy-engine/target/earshot-energy-engine-1.0.0.jar", "energy-engine",
                "examples/tone-source/target/earshot-tone-source-1.0.0.jar", "tone-source",
                "examples/office-hours/target/earshot-office-hours-1.0.0.jar", "office-hours",
                "generated/all-in-one/target/earshot-all-in-one-1.0.0.jar", "all-in-one");
        for (Map.Entry<String, String> jar : jars.entrySet()) {
            try (JarFile file = new JarFile(work.resolve(jar.getKey()).toFile())) {
                String service = new String(file.getInputStream(file.getEntry("META-INF/services/dev.earshot.spi.Plugin")).readAllBytes(),
                        StandardCharsets.UTF_8).trim();
                String metadata = service.substring(0, service.lastIndexOf('.')).replace('.', '/') + "/earshot-plugin.properties";
                Properties properties = new Properties();
                try (InputStream in = file.getInputStream(file.getEntry(metadata))) {
                    properties.load(in);
                }
                assertEquals(jar.getValue(), properties.getProperty("name"), jar.getKey());
                assertEquals("1.0.0", properties.getProperty("version"), jar.getKey());
                assertEquals(SpiVersion.CURRENT, properties.getProperty("spi-version"), jar.getKey());
                assertTrue(file.stream().noneMatch(e -> e.getName().startsWith("dev/earshot/")), jar.getKey() + " bundles no SPI class");
            }
        }
    }

    @Test
    void newRefusesBadNamesUnknownTypesAndExistingFolders(@TempDir Path folder) throws Exception {
        assertEquals("bad name 'Door_Bell'", refusal(folder, "new", "Door_Bell", "sink"));
        assertEquals("bad name 'class'", refusal(folder, "new", "class", "sink"));
        assertEquals("unknown type 'speaker'", refusal(folder, "new", "door-bell", "sink,speaker"));
        Files.createDirectories(folder.resolve("door-bell"));
        assertEquals(folder.resolve("door-bell") + " exists already", refusal(folder, "new", "door-bell", "sink",
                folder.resolve("door-bell").toString()));
        try (Stream<Path> left = Files.list(folder)) {
            assertEquals(List.of(folder.resolve("door-bell")), left.toList(), "nothing else created");
        }
    }

    /**
     * The engine, source and hook examples installed into the packaged gateway with bin/earshot-plugin, each in its
     * own class loader: a pipeline from the tone source through the energy engine writes one final per beep, the
     * office-hours hook logs its sessions, and refuses the sessions of a pipeline whose hours are not now.
     */
    @Test
    void theEngineSourceAndHookExamplesRunInAGateway(@TempDir Path workDir) throws Exception {
        Path beeps = workDir.resolve("beeps.jsonl");
        int hour = java.time.ZonedDateTime.now(java.time.ZoneOffset.UTC).getHour();
        String closedHours = String.format("%02d:00-%02d:00", (hour + 3) % 24, (hour + 4) % 24);
        PackagedGateway gateway = PackagedGateway.launch(workDir, workDir.resolve("gateway.log"), PackagedGateway.freePort(),
                "-Dearshot.api.token=" + ExamplePluginIT.TOKEN, "-Dearshot.data-dir=" + workDir.resolve("data"),
                "-Dearshot.sources.beeper.type=tone", "-Dearshot.engines.levels.type=energy",
                "-Dearshot.sinks.beeps.type=jsonl", "-Dearshot.sinks.beeps.path=" + beeps,
                "-Dearshot.hooks.office.type=office-hours", "-Dearshot.hooks.office.hours=00:00-24:00",
                "-Dearshot.hooks.shut.type=office-hours", "-Dearshot.hooks.shut.hours=" + closedHours, "-Dearshot.hooks.shut.zone=UTC",
                "-Dearshot.pipelines.beeps.enabled=false", "-Dearshot.pipelines.beeps.source=beeper",
                "-Dearshot.pipelines.beeps.engine=levels", "-Dearshot.pipelines.beeps.sinks=beeps",
                "-Dearshot.pipelines.beeps.hooks=office", "-Dearshot.pipelines.beeps.speech-gate=off",
                "-Dearshot.pipelines.closed.enabled=false", "-Dearshot.pipelines.closed.source=beeper",
                "-Dearshot.pipelines.closed.engine=levels", "-Dearshot.pipelines.closed.sinks=log",
                "-Dearshot.pipelines.closed.hooks=shut", "-Dearshot.pipelines.closed.speech-gate=off");
        try {
            assertEquals(200, gateway.awaitReady(Duration.ofSeconds(60)), "ready; log:\n" + gateway.output());
            for (String example : List.of("energy-engine", "tone-source", "office-hours")) {
                String jar = work.resolve("examples/" + example + "/target/earshot-" + example + "-1.0.0.jar").toString();
                String installed = ExamplePluginIT.cli(gateway, workDir, "install", jar);
                assertTrue(installed.contains("\"name\":\"" + example + "\"") && installed.contains("\"state\":\"started\""), installed);
            }
            HttpResponse<String> started = ExamplePluginIT.send(gateway, ExamplePluginIT.post(gateway, "/api/pipelines/beeps/start", ExamplePluginIT.TOKEN));
            assertEquals(200, started.statusCode(), started.body());
            // Beeps of 0.5 s once a second: a final "sound 0.50 s" for each (20 ms windows; one window of slack).
            Pattern sound = Pattern.compile("\"text\":\"sound 0\\.(4[89]|5[0-2]) s\"");
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            long finals = 0;
            while (finals < 3 && System.nanoTime() < deadline) {
                Thread.sleep(200);
                finals = Files.exists(beeps) ? Files.readAllLines(beeps).stream().filter(line -> sound.matcher(line).find()).count() : 0;
            }
            assertTrue(finals >= 3, "finals for beeps: " + (Files.exists(beeps) ? Files.readString(beeps) : "no " + beeps)
                    + "\nlog:\n" + gateway.output());
            assertEquals(200, ExamplePluginIT.send(gateway, ExamplePluginIT.post(gateway, "/api/pipelines/beeps/stop", ExamplePluginIT.TOKEN)).statusCode());
            assertTrue(Pattern.compile("hook 'office': session \\S+ \\(pipeline beeps, tone:440Hz\\) \\w+ after \\d+\\.\\d s")
                    .matcher(gateway.output()).find(), gateway.output());

            HttpResponse<String> closed = ExamplePluginIT.send(gateway, ExamplePluginIT.post(gateway, "/api/pipelines/closed/start", ExamplePluginIT.TOKEN));
            assertEquals(200, closed.statusCode(), closed.body());
            String refusal = "outside office hours " + closedHours + " on mon,tue,wed,thu,fri,sat,sun (UTC)";
            long until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (!gateway.output().contains(refusal) && System.nanoTime() < until) {
                Thread.sleep(200);
            }
            assertTrue(gateway.output().contains(refusal), gateway.output());
            assertEquals(200, ExamplePluginIT.send(gateway, ExamplePluginIT.post(gateway, "/api/pipelines/closed/stop", ExamplePluginIT.TOKEN)).statusCode());

            for (String example : List.of("energy-engine", "tone-source", "office-hours")) {
                assertTrue(ExamplePluginIT.cli(gateway, workDir, "uninstall", example).contains("\"name\":\"" + example + "\""));
            }
            String list = ExamplePluginIT.cli(gateway, workDir, "list");
            assertFalse(list.contains("energy-engine") || list.contains("tone-source") || list.contains("office-hours"), list);
        } finally {
            gateway.process.destroy();
            gateway.process.waitFor(30, TimeUnit.SECONDS);
        }
    }

    /** Runs bin/earshot-plugin expecting exit status 2 and returns its message between "$0: " and the first ':' or ';'. */
    private static String refusal(Path work, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(ROOT.resolve("bin/earshot-plugin").toString()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).directory(work.toFile()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertTrue(process.waitFor(30, TimeUnit.SECONDS));
        assertEquals(2, process.exitValue(), output);
        String message = output.substring(output.indexOf(": ") + 2);
        int end = message.indexOf(message.startsWith("/") ? ";" : ":");
        return (end < 0 ? message : message.substring(0, end)).trim();
    }

    @Test
    void theSpiAndTheKitComeWithSourcesAndJavadocJars() throws Exception {
        Path spiJar = Path.of(System.getProperty("test.spi.jar")).toAbsolutePath();
        Path kitJar = Path.of(System.getProperty("test.conformance.jar")).toAbsolutePath();
        assertEntries(sibling(spiJar, "sources"), "dev/earshot/spi/Plugin.java", "dev/earshot/spi/engine/Recognizer.java");
        assertEntries(sibling(spiJar, "javadoc"), "dev/earshot/spi/Plugin.html", "dev/earshot/spi/SpiVersion.html", "index.html");
        assertEntries(sibling(kitJar, "sources"), "dev/earshot/conformance/SpeechEngineContract.java");
        assertEntries(sibling(kitJar, "javadoc"), "dev/earshot/conformance/SpeechEngineContract.html",
                "dev/earshot/conformance/TestPluginContext.html");
    }

    private static Path sibling(Path jar, String classifier) {
        String name = jar.getFileName().toString();
        return jar.resolveSibling(name.substring(0, name.length() - ".jar".length()) + "-" + classifier + ".jar");
    }

    private static void assertEntries(Path jar, String... entries) throws IOException {
        assertTrue(Files.isRegularFile(jar), "no " + jar);
        try (JarFile file = new JarFile(jar.toFile())) {
            for (String entry : entries) {
                assertNotNull(file.getEntry(entry), jar.getFileName() + " has no " + entry);
            }
        }
    }
}
