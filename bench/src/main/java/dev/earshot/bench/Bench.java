package dev.earshot.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.earshot.gateway.runtime.GatewayRuntime;
import dev.earshot.gateway.settings.RuntimeSettings;
import dev.earshot.gateway.settings.PipelineSettings;
import dev.earshot.gateway.session.Session;
import dev.earshot.gateway.pipeline.Pipeline;
import dev.earshot.gateway.session.SessionListener;
import dev.earshot.gateway.session.SessionRequest;
import dev.earshot.gateway.plugin.ComponentKind;
import dev.earshot.gateway.plugin.PluginRegistry;
import dev.earshot.spi.Plugin;
import dev.earshot.spi.audio.AudioFormat;
import dev.earshot.spi.audio.AudioFrame;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import org.vosk.LibVosk;
import org.vosk.LogLevel;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Earshot's benchmarks. Each mode prints a table and adds its figures to a JSON file with the machine facts.
 * <pre>
 * java -Djava.util.logging.manager=org.jboss.logmanager.LogManager -jar bench/target/earshot-bench.jar [overhead] [latency] [warm] [memory] [capacity]
 *      [capacity-vosk] [capacity-ws] [stress] [soak] [gate] [gate-silence] [pi-profile]
 *      [--model=DIR] [--home=gateway/target/quarkus-app] [--gate-ws=false] [--silence-seconds=600] [--mix-seconds=300]
 *      [--profiles=all|shipped] [--flags="JVM FLAGS"] [--env="NAME=VALUE ..."] [--pi-seconds=30] [--nmt=true]
 *      [--rounds=5] [--sessions=2000] [--seconds=10] [--cycles=10000] [--ws-sessions=1,2,4,6,8] [--json=FILE]
 * </pre>
 * The baseline for speed is raw Vosk on the same audio in the same process; see docs/PERFORMANCE.md. This class reads
 * the arguments and holds what the modes share (options, clips, model, results, the runtime set-up); the modes are in
 * {@link SpeedBench}, {@link CapacityBench}, {@link EnduranceBench} and {@link GateBench}.
 */
public final class Bench {

    final Map<String, String> options = new LinkedHashMap<>();
    final Map<String, Object> results = new LinkedHashMap<>();
    final Path model;
    final List<Speech> clips;

    private Bench(Map<String, String> options) throws Exception {
        this.options.putAll(options);
        this.model = Path.of(options.getOrDefault("model", "gateway/target/quarkus-app/model/en-us")).toAbsolutePath();
        this.clips = Speech.librivox();
    }

    public static void main(String[] args) throws Exception {
        LibVosk.setLogLevel(LogLevel.WARNINGS);
        Map<String, String> options = new LinkedHashMap<>();
        List<String> modes = new ArrayList<>();
        for (String arg : args) {
            if (arg.startsWith("--") && arg.contains("=")) {
                options.put(arg.substring(2, arg.indexOf('=')), arg.substring(arg.indexOf('=') + 1));
            } else {
                modes.add(arg);
            }
        }
        if (modes.isEmpty()) {
            modes = List.of("overhead", "latency", "memory", "capacity", "stress");
        }
        Bench bench = new Bench(options);
        SpeedBench speed = new SpeedBench(bench);
        CapacityBench capacity = new CapacityBench(bench);
        EnduranceBench endurance = new EnduranceBench(bench);
        GateBench gate = new GateBench(bench);
        System.out.println("machine: " + Machine.facts());
        for (String mode : modes) {
            switch (mode) {
                case "overhead" -> speed.overhead();
                case "latency" -> speed.latency();
                case "warm" -> speed.warm();
                case "memory" -> capacity.memory();
                case "capacity" -> capacity.capacity();
                case "capacity-vosk" -> capacity.capacityVosk();
                case "stress" -> endurance.stress();
                case "soak" -> endurance.soak();
                case "capacity-ws" -> capacity.capacityWebSocket();
                case "gate" -> gate.gate();
                case "gate-silence" -> gate.gateSilence();
                case "pi-profile" -> new PiProfile(bench).run();
                default -> throw new IllegalArgumentException("unknown mode '" + mode
                        + "' (modes: overhead, latency, warm, memory, capacity, capacity-vosk, capacity-ws, stress, soak, gate,"
                        + " gate-silence, pi-profile)");
            }
        }
        Path json = Path.of(options.getOrDefault("json", "bench/target/bench-results.json"));
        Files.createDirectories(json.toAbsolutePath().getParent());
        Map<String, Object> all = new LinkedHashMap<>();
        all.put("machine", Machine.facts());
        all.put("results", bench.results);
        Files.writeString(json, new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(all) + "\n");
        System.out.println("results written to " + json);
        System.exit(0);
    }

    int option(String name, int defaultValue) {
        return Integer.parseInt(options.getOrDefault(name, String.valueOf(defaultValue)));
    }

    // ---- runtime set-up -----------------------------------------------------------------------------------------

    GatewayRuntime runtime(Vertx vertx, Plugin plugin, String engineType, List<String> sinks, int frameQueue,
                                   int maxSessions, Path data) {
        Map<ComponentKind, Map<String, Map<String, String>>> components = new EnumMap<>(ComponentKind.class);
        components.put(ComponentKind.ENGINE, Map.of("e", engineType.contains("vosk") ? voskEngine(engineType)
                : Map.of("type", engineType)));
        components.put(ComponentKind.SINK, Map.of("clock", Map.of("type", "clock", "queue-size", "256")));
        PipelineSettings pipeline = new PipelineSettings("bench", true, Optional.empty(), "e", sinks, List.of(),
                frameQueue, maxSessions);
        RuntimeSettings settings = new RuntimeSettings(data, data, Map.of("bench", pipeline), components, Map.of(),
                Runtime.getRuntime().availableProcessors(), Duration.ofSeconds(5), Duration.ofSeconds(10), 256);
        GatewayRuntime runtime = new GatewayRuntime(vertx, new SimpleMeterRegistry(), settings, PluginRegistry.of(List.of(plugin)));
        runtime.start();
        return runtime;
    }

    /**
     * The settings of a Vosk engine (type {@code vosk}, or the bench's {@code timed-vosk}) on the bench's model, with
     * no kept recognizers: the modes decode the same clips again and again, and a recognizer that decoded them before
     * runs about 5 times faster on them (what it composed of the graph is there), which would measure that cache, not
     * the gateway. The 'warm' mode measures what keeping one saves on other speech.
     */
    Map<String, String> voskEngine(String type) {
        return Map.of("type", type, "model", model.toString(), "warm-recognizers", "0");
    }

    static Path tempData() throws Exception {
        Path data = Files.createTempDirectory("earshot-bench");
        data.toFile().deleteOnExit();
        return data;
    }

    /** Feeds a clip to a session in 100 ms frames; paced sessions by demand, or at real time when {@code realtime}. */
    static void feed(Session session, Speech clip, boolean realtime, BenchPlugin probe) throws InterruptedException {
        long start = System.nanoTime();
        long sequence = 0;
        for (int offset = 0; offset < clip.pcm().length; offset += Speech.FRAME_BYTES, sequence++) {
            int length = Math.min(Speech.FRAME_BYTES, clip.pcm().length - offset);
            if (realtime) {
                long due = start + TimeUnit.MILLISECONDS.toNanos(100 * (sequence + 1));
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
            }
            if (probe != null) {
                probe.recordOffer(session.id(), sequence);
            }
            session.put(AudioFrame.copyOf(AudioFormat.SPEECH_16K, clip.pcm(), offset, length, sequence, Instant.now()));
        }
    }

    // ---- output -------------------------------------------------------------------------------------------------

    static double round(double value) {
        return Math.round(value * 1000) / 1000.0;
    }

    static void table(String title, Map<String, Object> figures) {
        System.out.println();
        System.out.println("== " + title);
        figures.forEach((key, value) -> System.out.printf(Locale.ROOT, "  %-28s %s%n", key, value));
    }
}
