package dev.earshot.bench;

import dev.earshot.gateway.runtime.GatewayRuntime;
import dev.earshot.gateway.settings.RuntimeSettings;
import dev.earshot.gateway.pipeline.Pipeline;
import dev.earshot.gateway.settings.PipelineSettings;
import dev.earshot.gateway.session.Session;
import dev.earshot.gateway.session.SessionListener;
import dev.earshot.gateway.session.SessionRequest;
import dev.earshot.gateway.plugin.ComponentKind;
import dev.earshot.gateway.plugin.PluginRegistry;
import dev.earshot.plugins.vosk.VoskPlugin;
import dev.earshot.spi.Plugin;
import dev.earshot.spi.audio.AudioFormat;
import dev.earshot.spi.audio.AudioFrame;
import dev.earshot.spi.source.Pacing;
import dev.earshot.spi.transcript.TranscriptEvent;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import org.vosk.Model;
import org.vosk.Recognizer;

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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

/**
 * Earshot's benchmarks. Each mode prints a table and adds its figures to a JSON file with the machine facts.
 * <pre>
 * java -Djava.util.logging.manager=org.jboss.logmanager.LogManager -jar bench/target/earshot-bench.jar [overhead] [latency] [memory] [capacity]
 *      [capacity-vosk] [capacity-ws] [stress] [soak]
 *      [--model=DIR] [--rounds=5] [--sessions=2000] [--seconds=10] [--cycles=10000] [--ws-sessions=1,2,4,6,8] [--json=FILE]
 * </pre>
 * The baseline for speed is raw Vosk on the same audio in the same process; see docs/PERFORMANCE.md.
 */
public final class Bench {

    private final Map<String, String> options = new LinkedHashMap<>();
    private final Map<String, Object> results = new LinkedHashMap<>();
    private final Path model;
    private final List<Speech> clips;

    private Bench(Map<String, String> options) throws Exception {
        this.options.putAll(options);
        this.model = Path.of(options.getOrDefault("model", "gateway/target/quarkus-app/model/en-us")).toAbsolutePath();
        this.clips = Speech.librivox();
    }

    public static void main(String[] args) throws Exception {
        org.vosk.LibVosk.setLogLevel(org.vosk.LogLevel.WARNINGS);
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
        System.out.println("machine: " + Machine.facts());
        for (String mode : modes) {
            switch (mode) {
                case "overhead" -> bench.overhead();
                case "latency" -> bench.latency();
                case "memory" -> bench.memory();
                case "capacity" -> bench.capacity();
                case "capacity-vosk" -> bench.capacityVosk();
                case "stress" -> bench.stress();
                case "soak" -> bench.soak();
                case "capacity-ws" -> bench.capacityWebSocket();
                default -> throw new IllegalArgumentException("unknown mode '" + mode
                        + "' (modes: overhead, latency, memory, capacity, capacity-vosk, capacity-ws, stress, soak)");
            }
        }
        Path json = Path.of(options.getOrDefault("json", "bench/target/bench-results.json"));
        Files.createDirectories(json.toAbsolutePath().getParent());
        Map<String, Object> all = new LinkedHashMap<>();
        all.put("machine", Machine.facts());
        all.put("results", bench.results);
        Files.writeString(json, Json.write(all) + "\n");
        System.out.println("results written to " + json);
        System.exit(0);
    }

    private int option(String name, int defaultValue) {
        return Integer.parseInt(options.getOrDefault(name, String.valueOf(defaultValue)));
    }

    // ---- runtime set-up -----------------------------------------------------------------------------------------

    private GatewayRuntime runtime(Vertx vertx, Plugin plugin, String engineType, List<String> sinks, int frameQueue,
                                   int maxSessions, Path data) {
        Map<ComponentKind, Map<String, Map<String, String>>> components = new EnumMap<>(ComponentKind.class);
        Map<String, String> engine = new LinkedHashMap<>();
        engine.put("type", engineType);
        if (engineType.contains("vosk")) {
            engine.put("model", model.toString());
        }
        components.put(ComponentKind.ENGINE, Map.of("e", engine));
        components.put(ComponentKind.SINK, Map.of("clock", Map.of("type", "clock", "queue-size", "256")));
        PipelineSettings pipeline = new PipelineSettings("bench", true, Optional.empty(), "e", sinks, List.of(),
                frameQueue, maxSessions);
        RuntimeSettings settings = new RuntimeSettings(data, data, Map.of("bench", pipeline), components, Map.of(),
                Runtime.getRuntime().availableProcessors(), Duration.ofSeconds(5), Duration.ofSeconds(10), 256);
        GatewayRuntime runtime = new GatewayRuntime(vertx, new SimpleMeterRegistry(), settings, PluginRegistry.of(List.of(plugin)));
        runtime.start();
        return runtime;
    }

    private static Path tempData() throws Exception {
        Path data = Files.createTempDirectory("earshot-bench");
        data.toFile().deleteOnExit();
        return data;
    }

    /** Feeds a clip to a session in 100 ms frames; paced sessions by demand, or at real time when {@code realtime}. */
    private static void feed(Session session, Speech clip, boolean realtime, BenchPlugin probe) throws InterruptedException {
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

    // ---- overhead -----------------------------------------------------------------------------------------------

    /** Audio seconds decoded per CPU second: plain Vosk loops against the gateway, same clips, same process. */
    private void overhead() throws Exception {
        int rounds = option("rounds", 5);
        double audio = Speech.totalSeconds(clips);
        Vertx vertx = Vertx.vertx();
        try (Model shared = new Model(model.toString())) {
            GatewayRuntime runtime = runtime(vertx, new VoskPlugin(), "vosk", List.of(), 50, 16, tempData());
            try {
                Pipeline pipeline = runtime.pipeline("bench").orElseThrow();
                double[] plain = new double[rounds];
                double[] plainPartials = new double[rounds];
                double[] gateway = new double[rounds];
                plainVosk(shared, false);
                gatewayRun(pipeline);
                for (int round = 0; round < rounds; round++) {
                    plain[round] = audio / plainVosk(shared, false);
                    plainPartials[round] = audio / plainVosk(shared, true);
                    gateway[round] = audio / gatewayRun(pipeline);
                    System.out.printf(Locale.ROOT, "overhead round %d: plain %.2f, plain+partials %.2f, gateway %.2f audio s per CPU s%n",
                            round + 1, plain[round], plainPartials[round], gateway[round]);
                }
                Map<String, Object> figures = new LinkedHashMap<>();
                figures.put("audioSecondsPerRound", round(audio));
                figures.put("rounds", rounds);
                figures.put("plainVosk", round(Machine.median(plain)));
                figures.put("plainVoskWithPartials", round(Machine.median(plainPartials)));
                figures.put("gateway", round(Machine.median(gateway)));
                figures.put("ratioToPlain", round(Machine.median(gateway) / Machine.median(plain)));
                figures.put("ratioToPlainWithPartials", round(Machine.median(gateway) / Machine.median(plainPartials)));
                results.put("overhead", figures);
                table("overhead (audio seconds per CPU second, medians of " + rounds + ")", figures);
            } finally {
                runtime.stop();
            }
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    /** CPU seconds to decode every clip with a plain Vosk loop (a new recognizer per clip, 100 ms chunks). */
    private double plainVosk(Model shared, boolean partials) throws Exception {
        byte[] chunk = new byte[Speech.FRAME_BYTES];
        long cpu = Machine.processCpuNanos();
        for (Speech clip : clips) {
            try (Recognizer recognizer = new Recognizer(shared, 16000)) {
                recognizer.setWords(true);
                for (int offset = 0; offset < clip.pcm().length; offset += Speech.FRAME_BYTES) {
                    int length = Math.min(Speech.FRAME_BYTES, clip.pcm().length - offset);
                    System.arraycopy(clip.pcm(), offset, chunk, 0, length);
                    if (recognizer.acceptWaveForm(chunk, length)) {
                        recognizer.getResult();
                    } else if (partials) {
                        recognizer.getPartialResult();
                    }
                }
                recognizer.getFinalResult();
            }
        }
        return (Machine.processCpuNanos() - cpu) / 1e9;
    }

    /** CPU seconds to decode every clip through a gateway pipeline (one paced session per clip, in turn). */
    private double gatewayRun(Pipeline pipeline) throws Exception {
        long cpu = Machine.processCpuNanos();
        for (Speech clip : clips) {
            Session session = pipeline.openSession(SessionRequest.of("bench:" + clip.name(), AudioFormat.SPEECH_16K, Pacing.PACED));
            feed(session, clip, false, null);
            session.end();
            session.closed().toCompletableFuture().get(60, TimeUnit.SECONDS);
        }
        return (Machine.processCpuNanos() - cpu) / 1e9;
    }

    // ---- latency ------------------------------------------------------------------------------------------------

    /** End of speech (last frame written, session ended) to the final at a sink, fed at real time. */
    private void latency() throws Exception {
        int rounds = option("rounds", 2);
        BenchPlugin probe = new BenchPlugin();
        Vertx vertx = Vertx.vertx();
        GatewayRuntime runtime = runtime(vertx, probe, "timed-vosk", List.of("clock"), 50, 16, tempData());
        List<Long> total = new ArrayList<>();
        List<Long> flush = new ArrayList<>();
        List<Long> own = new ArrayList<>();
        try {
            Pipeline pipeline = runtime.pipeline("bench").orElseThrow();
            for (int round = 0; round < rounds; round++) {
                for (Speech clip : clips) {
                    Session session = pipeline.openSession(SessionRequest.of("bench:" + clip.name(), AudioFormat.SPEECH_16K, Pacing.PACED));
                    feed(session, clip, true, null);
                    long end = System.nanoTime();
                    session.end();
                    session.closed().toCompletableFuture().get(60, TimeUnit.SECONDS);
                    Long arrival = null;
                    for (int i = 0; i < 500 && (arrival = probe.finalArrivals.get(session.id())) == null; i++) {
                        Thread.sleep(10);
                    }
                    long[] times = probe.voskTimes.get(session.id());
                    if (arrival == null || times == null || times[3] == 0) {
                        continue; // no final from flush (the last final came before the end of audio)
                    }
                    total.add(arrival - end);
                    // Vosk's finalisation: flush() called to final hypothesis reported. The gateway's own part:
                    // scheduling the flush after the end of audio, and the final's way from the recognizer to the sink.
                    flush.add(times[3] - times[1]);
                    own.add((times[1] - Math.max(times[0], end)) + (arrival - times[3]));
                }
            }
        } finally {
            runtime.stop();
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("samples", total.size());
        figures.put("endToFinalP50Ms", millis(total, 50));
        figures.put("endToFinalP99Ms", millis(total, 99));
        figures.put("voskFlushP50Ms", millis(flush, 50));
        figures.put("voskFlushP99Ms", millis(flush, 99));
        figures.put("gatewayOwnP50Ms", millis(own, 50));
        figures.put("gatewayOwnP99Ms", millis(own, 99));
        results.put("latency", figures);
        table("latency (end of speech to final at the sink; real-time feed)", figures);
    }

    private static double millis(List<Long> nanos, double percentile) {
        long[] values = nanos.stream().mapToLong(Long::longValue).toArray();
        return round(Machine.percentile(values, values.length, percentile) / 1e6);
    }

    // ---- memory -------------------------------------------------------------------------------------------------

    private void memory() throws Exception {
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("rssIdleMiB", round(Machine.rssMiB()));
        figures.put("heapIdleMiB", round(Machine.heapAfterGcMiB()));
        Vertx vertx = Vertx.vertx();
        GatewayRuntime vosk = runtime(vertx, new VoskPlugin(), "vosk", List.of(), 50, 16, tempData());
        figures.put("rssModelLoadedMiB", round(Machine.rssMiB()));
        figures.put("heapModelLoadedMiB", round(Machine.heapAfterGcMiB()));
        vosk.stop();
        int sessions = option("memory-sessions", 1000);
        BenchPlugin probe = new BenchPlugin();
        GatewayRuntime runtime = runtime(vertx, probe, "null", List.of(), 50, sessions, tempData());
        try {
            Pipeline pipeline = runtime.pipeline("bench").orElseThrow();
            double heapBefore = Machine.heapAfterGcMiB();
            double rssBefore = Machine.rssMiB();
            List<Session> open = new ArrayList<>();
            for (int i = 0; i < sessions; i++) {
                Session session = pipeline.openSession(SessionRequest.of("bench:memory", AudioFormat.SPEECH_16K, Pacing.LIVE));
                session.offer(AudioFrame.copyOf(AudioFormat.SPEECH_16K, new byte[Speech.FRAME_BYTES], 0, Speech.FRAME_BYTES, 0, Instant.now()));
                open.add(session);
            }
            Thread.sleep(500);
            double heapAfter = Machine.heapAfterGcMiB();
            figures.put("sessionsOpened", sessions);
            figures.put("heapPerSessionKiB", round((heapAfter - heapBefore) * 1024 / sessions));
            figures.put("rssPerSessionKiB", round((Machine.rssMiB() - rssBefore) * 1024 / sessions));
            open.forEach(Session::close);
            for (Session session : open) {
                session.closed().toCompletableFuture().get(10, TimeUnit.SECONDS);
            }
            figures.put("heapAfterCloseMiB", round(Machine.heapAfterGcMiB()));
            figures.put("heapBeforeSessionsMiB", round(heapBefore));
        } finally {
            runtime.stop();
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
        results.put("memory", figures);
        table("memory (per session: host only, null engine)", figures);
    }

    // ---- capacity -----------------------------------------------------------------------------------------------

    /** Concurrent real-time sessions with an engine that decodes nothing: the gateway's own ceiling. */
    private void capacity() throws Exception {
        int sessions = option("sessions", 2000);
        int seconds = option("seconds", 10);
        BenchPlugin probe = new BenchPlugin();
        Vertx vertx = Vertx.vertx();
        GatewayRuntime runtime = runtime(vertx, probe, "null", List.of(), 50, sessions, tempData());
        Map<String, Object> figures = new LinkedHashMap<>();
        try {
            Pipeline pipeline = runtime.pipeline("bench").orElseThrow();
            List<Session> open = new ArrayList<>();
            for (int i = 0; i < sessions; i++) {
                open.add(pipeline.openSession(SessionRequest.of("bench:capacity", AudioFormat.SPEECH_16K, Pacing.LIVE)));
            }
            byte[] silence = new byte[Speech.FRAME_BYTES];
            long cpu = Machine.processCpuNanos();
            long start = System.nanoTime();
            int ticks = seconds * 10;
            long lateTicks = 0;
            long maxTickMs = 0;
            for (int tick = 0; tick < ticks; tick++) {
                long due = start + TimeUnit.MILLISECONDS.toNanos(100L * tick);
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                } else {
                    lateTicks++;
                }
                long tickStart = System.nanoTime();
                for (Session session : open) {
                    probe.recordOffer(session.id(), tick);
                    session.offer(AudioFrame.copyOf(AudioFormat.SPEECH_16K, silence, 0, silence.length, tick, Instant.now()));
                }
                maxTickMs = Math.max(maxTickMs, (System.nanoTime() - tickStart) / 1_000_000);
            }
            Thread.sleep(500);
            double cpuSeconds = (Machine.processCpuNanos() - cpu) / 1e9;
            long dropped = open.stream().mapToLong(Session::droppedFrames).sum();
            int count = Math.min(probe.handOffs.get(), probe.handOffNanos.length);
            figures.put("sessions", sessions);
            figures.put("seconds", seconds);
            figures.put("framesOffered", (long) sessions * ticks);
            figures.put("framesDecoded", probe.nullFrames.get());
            figures.put("framesDropped", dropped);
            figures.put("handOffP50Ms", round(Machine.percentile(probe.handOffNanos, count, 50) / 1e6));
            figures.put("handOffP99Ms", round(Machine.percentile(probe.handOffNanos, count, 99) / 1e6));
            figures.put("handOffMaxMs", round(Machine.percentile(probe.handOffNanos, count, 100) / 1e6));
            figures.put("slowestTickMs", maxTickMs);
            figures.put("lateTicks", lateTicks);
            figures.put("cpuCoresUsed", round(cpuSeconds / (seconds + 0.5)));
            open.forEach(Session::close);
        } finally {
            runtime.stop();
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
        results.put("capacity", figures);
        table("capacity (null engine, 100 ms frames at real time)", figures);
    }

    /**
     * Real-time Vosk sessions (live, LibriVox clips looped) in growing numbers: a step keeps up when no frame was
     * dropped and the queues stayed shallow.
     */
    private void capacityVosk() throws Exception {
        int seconds = option("seconds", 20);
        Vertx vertx = Vertx.vertx();
        GatewayRuntime runtime = runtime(vertx, new VoskPlugin(), "vosk", List.of(), 50, 64, tempData());
        List<Map<String, Object>> steps = new ArrayList<>();
        int keptUp = 0;
        try {
            Pipeline pipeline = runtime.pipeline("bench").orElseThrow();
            for (int sessions : new int[]{1, 2, 4, 6, 8, 10, 12, 16}) {
                AtomicInteger maxQueued = new AtomicInteger();
                java.util.concurrent.atomic.AtomicLong dropped = new java.util.concurrent.atomic.AtomicLong();
                long cpu = Machine.processCpuNanos();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
                List<Thread> feeders = new ArrayList<>();
                for (int s = 0; s < sessions; s++) {
                    int index = s;
                    Thread feeder = new Thread(() -> {
                        try {
                            for (int n = 0; System.nanoTime() < deadline; n++) {
                                Speech clip = clips.get((index + n) % clips.size());
                                Session session = pipeline.openSession(SessionRequest.of("bench:rt", AudioFormat.SPEECH_16K, Pacing.LIVE));
                                long start = System.nanoTime();
                                long sequence = 0;
                                for (int offset = 0; offset < clip.pcm().length && System.nanoTime() < deadline;
                                     offset += Speech.FRAME_BYTES, sequence++) {
                                    long wait = start + TimeUnit.MILLISECONDS.toNanos(100 * (sequence + 1)) - System.nanoTime();
                                    if (wait > 0) {
                                        TimeUnit.NANOSECONDS.sleep(wait);
                                    }
                                    int length = Math.min(Speech.FRAME_BYTES, clip.pcm().length - offset);
                                    session.offer(AudioFrame.copyOf(AudioFormat.SPEECH_16K, clip.pcm(), offset, length, sequence, Instant.now()));
                                    maxQueued.accumulateAndGet(session.queuedFrames(), Math::max);
                                }
                                session.end();
                                session.closed().toCompletableFuture().get(120, TimeUnit.SECONDS);
                                dropped.addAndGet(session.droppedFrames());
                            }
                        } catch (Exception e) {
                            System.err.println("feeder " + index + ": " + e);
                        }
                    }, "rt-feeder-" + s);
                    feeder.start();
                    feeders.add(feeder);
                }
                for (Thread feeder : feeders) {
                    feeder.join();
                }
                double coresUsed = (Machine.processCpuNanos() - cpu) / 1e9 / seconds;
                boolean ok = dropped.get() == 0 && maxQueued.get() <= 10;
                Map<String, Object> step = new LinkedHashMap<>();
                step.put("sessions", sessions);
                step.put("framesDropped", dropped.get());
                step.put("maxQueuedFrames", maxQueued.get());
                step.put("cpuCoresUsed", round(coresUsed));
                step.put("keptUp", ok);
                steps.add(step);
                System.out.println("capacity-vosk step: " + step);
                if (!ok) {
                    break;
                }
                keptUp = sessions;
            }
        } finally {
            runtime.stop();
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("realTimeSessionsKeptUp", keptUp);
        figures.put("cores", Runtime.getRuntime().availableProcessors());
        figures.put("sessionsPerCore", round((double) keptUp / Runtime.getRuntime().availableProcessors()));
        figures.put("steps", steps);
        results.put("capacityVosk", figures);
        table("capacity with Vosk (real-time live sessions that keep up)", figures);
    }

    // ---- capacity through the vosk-server WebSocket endpoint ----------------------------------------------------

    private void capacityWebSocket() throws Exception {
        List<Integer> steps = java.util.Arrays.stream(options.getOrDefault("ws-sessions", "1,2,4,6,8").split(","))
                .map(String::trim).map(Integer::parseInt).toList();
        Path app = Path.of(options.getOrDefault("app", "gateway/target/quarkus-app/quarkus-run.jar")).toAbsolutePath();
        List<Map<String, Object>> figures = new WebSocketCapacity(app, clips).run(steps, option("seconds", 60));
        results.put("capacityWebSocket", figures);
        for (Map<String, Object> step : figures) {
            table("capacity through the vosk-server WebSocket endpoint (packaged gateway, real-time clients)", step);
        }
    }

    // ---- stress -------------------------------------------------------------------------------------------------

    /** Open/close cycles with frames in flight and closes racing callbacks; a watchdog dumps threads on a hang. */
    private void stress() throws Exception {
        int cycles = option("cycles", 10_000);
        BenchPlugin probe = new BenchPlugin();
        Vertx vertx = Vertx.vertx();
        GatewayRuntime runtime = runtime(vertx, probe, "null", List.of(), 8, 64, tempData());
        Map<String, Object> figures = new LinkedHashMap<>();
        var producers = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            Pipeline pipeline = runtime.pipeline("bench").orElseThrow();
            AtomicInteger late = new AtomicInteger();
            int threadsBefore = -1;
            double heapBefore = 0;
            long begin = System.nanoTime();
            for (int i = 0; i < cycles; i++) {
                if (i == 100) {
                    threadsBefore = Machine.threads();
                    heapBefore = Machine.heapAfterGcMiB();
                }
                int mode = i % 3;
                java.util.concurrent.atomic.AtomicBoolean closeReturned = new java.util.concurrent.atomic.AtomicBoolean();
                java.util.concurrent.atomic.AtomicReference<Session> ref = new java.util.concurrent.atomic.AtomicReference<>();
                Session session = pipeline.openSession(new SessionRequest("bench:stress", AudioFormat.SPEECH_16K, Pacing.LIVE,
                        Map.of(), true, 0, List.of(), new SessionListener() {
                    @Override
                    public void onTranscript(TranscriptEvent event) {
                        if (closeReturned.get()) {
                            late.incrementAndGet();
                        }
                    }

                    @Override
                    public void onClosed(String reason) {
                        if (closeReturned.get()) {
                            late.incrementAndGet();
                        }
                        if (mode == 1) {
                            ref.get().close(); // closing again from inside a callback
                        }
                    }
                }, null));
                ref.set(session);
                var producer = producers.submit(() -> {
                    for (int f = 0; f < 10; f++) {
                        session.offer(AudioFrame.copyOf(AudioFormat.SPEECH_16K, new byte[320], 0, 320, f, Instant.now()));
                    }
                    if (mode == 1) {
                        session.end();
                    }
                });
                if (mode != 1) {
                    session.close();
                    closeReturned.set(true);
                }
                CompletableFuture<String> closed = session.closed().toCompletableFuture();
                try {
                    closed.get(10, TimeUnit.SECONDS);
                    producer.get(10, TimeUnit.SECONDS);
                } catch (java.util.concurrent.TimeoutException e) {
                    System.err.println("watchdog: cycle " + i + " did not close within 10 s; threads:");
                    for (var info : java.lang.management.ManagementFactory.getThreadMXBean().dumpAllThreads(true, true)) {
                        System.err.print(info);
                    }
                    throw new IllegalStateException("deadlock or hang at cycle " + i);
                }
            }
            long elapsedMs = (System.nanoTime() - begin) / 1_000_000;
            for (int i = 0; i < 100 && pipeline.engine().openRecognizers() > 0; i++) {
                Thread.sleep(20);
            }
            Thread.sleep(200);
            figures.put("cycles", cycles);
            figures.put("elapsedMs", elapsedMs);
            figures.put("callbacksAfterClose", late.get());
            figures.put("deadlockedThreads", java.lang.management.ManagementFactory.getThreadMXBean().findDeadlockedThreads() == null ? 0
                    : java.lang.management.ManagementFactory.getThreadMXBean().findDeadlockedThreads().length);
            figures.put("openRecognizersAfter", pipeline.engine().openRecognizers());
            figures.put("threadsBefore", threadsBefore);
            figures.put("threadsAfter", Machine.threads());
            figures.put("heapAfterGcBeforeMiB", round(heapBefore));
            figures.put("heapAfterGcAfterMiB", round(Machine.heapAfterGcMiB()));
        } finally {
            producers.shutdownNow();
            runtime.stop();
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
        results.put("stress", figures);
        table("stress (open/close cycles, null engine)", figures);
    }

    // ---- soak ---------------------------------------------------------------------------------------------------

    /** Many live sessions of real speech for a while, with a sink that takes one event per second. */
    private void soak() throws Exception {
        int sessions = option("sessions", 50);
        int seconds = option("seconds", 120);
        BenchPlugin probe = new BenchPlugin();
        probe.sinkDelayMillis.set(1000);
        Vertx vertx = Vertx.vertx();
        GatewayRuntime runtime = runtime(vertx, probe, "timed-vosk", List.of("clock"), 50, sessions, tempData());
        Map<String, Object> figures = new LinkedHashMap<>();
        List<double[]> heap = new ArrayList<>();
        try {
            Pipeline pipeline = runtime.pipeline("bench").orElseThrow();
            List<Thread> feeders = new ArrayList<>();
            java.util.concurrent.atomic.AtomicLong framesDropped = new java.util.concurrent.atomic.AtomicLong();
            java.util.concurrent.atomic.AtomicLong framesSent = new java.util.concurrent.atomic.AtomicLong();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            for (int s = 0; s < sessions; s++) {
                int index = s;
                Thread feeder = new Thread(() -> {
                    try {
                        while (System.nanoTime() < deadline) {
                            Speech clip = clips.get(index % clips.size());
                            Session session = pipeline.openSession(SessionRequest.of("bench:soak", AudioFormat.SPEECH_16K, Pacing.LIVE));
                            feed(session, clip, true, null);
                            session.end();
                            session.closed().toCompletableFuture().get(120, TimeUnit.SECONDS);
                            framesSent.addAndGet((clip.pcm().length + Speech.FRAME_BYTES - 1) / Speech.FRAME_BYTES);
                            framesDropped.addAndGet(session.droppedFrames());
                        }
                    } catch (Exception e) {
                        System.err.println("soak feeder " + index + ": " + e);
                    }
                }, "soak-feeder-" + s);
                feeder.start();
                feeders.add(feeder);
            }
            long begin = System.nanoTime();
            while (System.nanoTime() < deadline) {
                Thread.sleep(Math.min(15_000, Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()))));
                heap.add(new double[]{(System.nanoTime() - begin) / 1e9, Machine.heapAfterGcMiB()});
                System.out.printf(Locale.ROOT, "soak t=%.0fs heap after GC %.1f MiB, finals delivered %d%n",
                        heap.get(heap.size() - 1)[0], heap.get(heap.size() - 1)[1], probe.finalsDelivered.get());
            }
            for (Thread feeder : feeders) {
                feeder.join(150_000);
            }
            var sink = runtime.sinks().iterator().next();
            figures.put("sessions", sessions);
            figures.put("seconds", seconds);
            figures.put("heapSlopeMiBPerMinute", round(slope(heap) * 60));
            figures.put("heapSamplesMiB", heap.stream().map(h -> round(h[1])).collect(Collectors.toList()));
            figures.put("framesSent", framesSent.get());
            figures.put("framesDropped", framesDropped.get());
            figures.put("finalsProduced", probe.finalsProduced.get());
            figures.put("sinkDroppedPartials", sink.droppedPartials());
            figures.put("sinkDroppedFinals", sink.droppedFinals());
            figures.put("sinkDelivered", sink.delivered());
            figures.put("finalsDeliveredToSink", probe.finalsDelivered.get());
            figures.put("sinkQueuedAtEnd", sink.depth());
            figures.put("sinkMaxDepth", sink.maxDepth());
            runtime.stop();
            // Stopping gives the sink the drain time, then moves what it still holds to its spool.
            figures.put("finalsDeliveredAfterStop", probe.finalsDelivered.get());
            // spooled() counts every final that went to the spool, also those replayed and delivered later; what is
            // still in the spool at stop is what the next start delivers.
            figures.put("finalsSpooledDuringRun", sink.spooled());
            figures.put("finalsInSpoolAtStop", sink.spool().events());
            figures.put("finalsLost", probe.finalsProduced.get() - probe.finalsDelivered.get() - sink.spool().events()
                    - sink.droppedFinals());
        } finally {
            runtime.stop();
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
        results.put("soak", figures);
        table("soak (real speech, live sessions, sink at 1 event/s)", figures);
    }

    private static double slope(List<double[]> points) {
        int n = points.size();
        if (n < 2) {
            return 0;
        }
        double sx = 0, sy = 0, sxx = 0, sxy = 0;
        for (double[] p : points) {
            sx += p[0];
            sy += p[1];
            sxx += p[0] * p[0];
            sxy += p[0] * p[1];
        }
        return (n * sxy - sx * sy) / (n * sxx - sx * sx);
    }

    // ---- output -------------------------------------------------------------------------------------------------

    private static double round(double value) {
        return Math.round(value * 1000) / 1000.0;
    }

    private static void table(String title, Map<String, Object> figures) {
        System.out.println();
        System.out.println("== " + title);
        figures.forEach((key, value) -> System.out.printf(Locale.ROOT, "  %-28s %s%n", key, value));
    }
}
