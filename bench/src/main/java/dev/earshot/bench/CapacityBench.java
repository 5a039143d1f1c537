package dev.earshot.bench;

import dev.earshot.gateway.runtime.GatewayRuntime;
import dev.earshot.gateway.pipeline.Pipeline;
import dev.earshot.gateway.session.Session;
import dev.earshot.gateway.session.SessionRequest;
import dev.earshot.plugins.vosk.VoskPlugin;
import dev.earshot.spi.audio.AudioFormat;
import dev.earshot.spi.audio.AudioFrame;
import dev.earshot.spi.source.Pacing;
import io.vertx.core.Vertx;
import org.vosk.Model;
import org.vosk.Recognizer;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * How much the gateway holds: memory per session ({@code memory}), concurrent sessions with a null engine
 * ({@code capacity}), with Vosk ({@code capacity-vosk}) and through the vosk-server endpoint of the packaged gateway
 * ({@code capacity-ws}).
 */
final class CapacityBench {

    private final Bench bench;

    CapacityBench(Bench bench) {
        this.bench = bench;
    }

    // ---- memory -------------------------------------------------------------------------------------------------

    void memory() throws Exception {
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("rssIdleMiB", Bench.round(Machine.rssMiB()));
        figures.put("heapIdleMiB", Bench.round(Machine.heapAfterGcMiB()));
        Vertx vertx = Vertx.vertx();
        GatewayRuntime vosk = bench.runtime(vertx, new VoskPlugin(), "vosk", List.of(), 50, 16, Bench.tempData());
        figures.put("rssModelLoadedMiB", Bench.round(Machine.rssMiB()));
        figures.put("heapModelLoadedMiB", Bench.round(Machine.heapAfterGcMiB()));
        vosk.stop();
        int sessions = bench.option("memory-sessions", 1000);
        BenchPlugin probe = new BenchPlugin();
        GatewayRuntime runtime = bench.runtime(vertx, probe, "null", List.of(), 50, sessions, Bench.tempData());
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
            figures.put("heapPerSessionKiB", Bench.round((heapAfter - heapBefore) * 1024 / sessions));
            figures.put("rssPerSessionKiB", Bench.round((Machine.rssMiB() - rssBefore) * 1024 / sessions));
            open.forEach(Session::close);
            for (Session session : open) {
                session.closed().toCompletableFuture().get(10, TimeUnit.SECONDS);
            }
            figures.put("heapAfterCloseMiB", Bench.round(Machine.heapAfterGcMiB()));
            figures.put("heapBeforeSessionsMiB", Bench.round(heapBefore));
        } finally {
            runtime.stop();
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
        bench.results.put("memory", figures);
        Bench.table("memory (per session: host only, null engine)", figures);
    }

    // ---- capacity -----------------------------------------------------------------------------------------------

    /** Concurrent real-time sessions with an engine that decodes nothing: the gateway's own ceiling. */
    void capacity() throws Exception {
        int sessions = bench.option("sessions", 2000);
        int seconds = bench.option("seconds", 10);
        BenchPlugin probe = new BenchPlugin();
        Vertx vertx = Vertx.vertx();
        GatewayRuntime runtime = bench.runtime(vertx, probe, "null", List.of(), 50, sessions, Bench.tempData());
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
            figures.put("handOffP50Ms", Bench.round(Machine.percentile(probe.handOffNanos, count, 50) / 1e6));
            figures.put("handOffP99Ms", Bench.round(Machine.percentile(probe.handOffNanos, count, 99) / 1e6));
            figures.put("handOffMaxMs", Bench.round(Machine.percentile(probe.handOffNanos, count, 100) / 1e6));
            figures.put("slowestTickMs", maxTickMs);
            figures.put("lateTicks", lateTicks);
            figures.put("cpuCoresUsed", Bench.round(cpuSeconds / (seconds + 0.5)));
            open.forEach(Session::close);
        } finally {
            runtime.stop();
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
        bench.results.put("capacity", figures);
        Bench.table("capacity (null engine, 100 ms frames at real time)", figures);
    }

    /**
     * Real-time live sessions the gateway keeps up with, against parallel plain Vosk loops on the same machine, side
     * by side in one run: at each step, N plain loops and then N gateway sessions, each a continuous stream of
     * speech (the LibriVox clips back to back, 100 ms chunks paced in real time, {@code --seconds} each). Keeping up
     * means nothing dropped and at most 0.5 s of audio waiting to be decoded: a session's queue (5 frames), a plain
     * loop's lag behind the clock. Stops when both fell behind.
     */
    void capacityVosk() throws Exception {
        int seconds = bench.option("seconds", 20);
        int[] counts = Arrays.stream(bench.options.getOrDefault("vosk-sessions", "1,2,4,6,7,8,9,10,11,12,14,16").split(","))
                .map(String::trim).mapToInt(Integer::parseInt).toArray();
        Vertx vertx = Vertx.vertx();
        GatewayRuntime runtime = bench.runtime(vertx, new VoskPlugin(), "vosk", List.of(), 50, 64, Bench.tempData());
        List<Map<String, Object>> steps = new ArrayList<>();
        int gatewayKeptUp = 0;
        int plainKeptUp = 0;
        boolean gatewayBehind = false;
        boolean plainBehind = false;
        try (Model model = new Model(bench.model.toString())) {
            Pipeline pipeline = runtime.pipeline("bench").orElseThrow();
            for (int sessions : counts) {
                if (gatewayBehind && plainBehind) {
                    break;
                }
                Map<String, Object> step = new LinkedHashMap<>();
                step.put("sessions", sessions);
                if (!plainBehind) {
                    Map<String, Object> plain = plainLoops(model, sessions, seconds);
                    step.put("plain", plain);
                    if ((boolean) plain.get("keptUp")) {
                        plainKeptUp = sessions;
                    } else {
                        plainBehind = true;
                    }
                }
                if (!gatewayBehind) {
                    Map<String, Object> gateway = gatewaySessions(pipeline, sessions, seconds);
                    step.put("gateway", gateway);
                    if ((boolean) gateway.get("keptUp")) {
                        gatewayKeptUp = sessions;
                    } else {
                        gatewayBehind = true;
                    }
                }
                steps.add(step);
                System.out.println("capacity-vosk step: " + step);
            }
        } finally {
            runtime.stop();
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
        int cores = Runtime.getRuntime().availableProcessors();
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("cores", cores);
        figures.put("secondsPerStep", seconds);
        figures.put("plainLoopsKeptUp", plainKeptUp);
        figures.put("realTimeSessionsKeptUp", gatewayKeptUp);
        figures.put("ratioToPlainLoops", plainKeptUp == 0 ? 0 : Bench.round((double) gatewayKeptUp / plainKeptUp));
        figures.put("sessionsPerCore", Bench.round((double) gatewayKeptUp / cores));
        figures.put("steps", steps);
        bench.results.put("capacityVosk", figures);
        Bench.table("capacity with Vosk (real-time live sessions that keep up, against parallel plain Vosk loops)", figures);
    }

    /** One real-time stream of {@link #realTimeStreams}: opened on its thread, given each chunk when its time comes. */
    private interface RealTimeStream {
        /** @param dueNanos when the chunk's audio became available ({@link System#nanoTime()}) */
        void chunk(byte[] pcm, int offset, int length, long sequence, long dueNanos) throws Exception;

        /** The step is over: end the stream. */
        void end() throws Exception;
    }

    /** Opens a stream on its own thread. */
    private interface StreamOpener {
        RealTimeStream open() throws Exception;
    }

    /**
     * Runs {@code streams} real-time streams for {@code seconds}, a thread each: the clips back to back (stream i
     * starting at clip i), a 100 ms chunk handed over when its time comes. Returns when every stream has ended.
     */
    private void realTimeStreams(int streams, int seconds, String name, StreamOpener opener) throws InterruptedException {
        long start = System.nanoTime();
        long deadline = start + TimeUnit.SECONDS.toNanos(seconds);
        List<Thread> threads = new ArrayList<>();
        for (int s = 0; s < streams; s++) {
            int index = s;
            Thread thread = new Thread(() -> {
                try {
                    RealTimeStream stream = opener.open();
                    try {
                        long sequence = 0;
                        for (int n = 0; System.nanoTime() < deadline; n++) {
                            Speech clip = bench.clips.get((index + n) % bench.clips.size());
                            for (int offset = 0; offset < clip.pcm().length && System.nanoTime() < deadline;
                                 offset += Speech.FRAME_BYTES, sequence++) {
                                long due = start + TimeUnit.MILLISECONDS.toNanos(100 * (sequence + 1));
                                long wait = due - System.nanoTime();
                                if (wait > 0) {
                                    TimeUnit.NANOSECONDS.sleep(wait);
                                }
                                stream.chunk(clip.pcm(), offset, Math.min(Speech.FRAME_BYTES, clip.pcm().length - offset),
                                        sequence, due);
                            }
                        }
                    } finally {
                        stream.end();
                    }
                } catch (Exception e) {
                    System.err.println(name + " " + index + ": " + e);
                }
            }, name + "-" + s);
            thread.start();
            threads.add(thread);
        }
        for (Thread thread : threads) {
            thread.join();
        }
    }

    /**
     * N gateway live sessions in real time, each one continuous stream (the clips back to back, as a microphone or a
     * WHIP peer sends them) for the step.
     */
    private Map<String, Object> gatewaySessions(Pipeline pipeline, int sessions, int seconds) throws Exception {
        AtomicInteger maxQueued = new AtomicInteger();
        AtomicLong dropped = new AtomicLong();
        long cpu = Machine.processCpuNanos();
        realTimeStreams(sessions, seconds, "rt-feeder", () -> {
            Session session = pipeline.openSession(SessionRequest.of("bench:rt", AudioFormat.SPEECH_16K, Pacing.LIVE));
            return new RealTimeStream() {
                @Override
                public void chunk(byte[] pcm, int offset, int length, long sequence, long dueNanos) {
                    session.offer(AudioFrame.copyOf(AudioFormat.SPEECH_16K, pcm, offset, length, sequence, Instant.now()));
                    maxQueued.accumulateAndGet(session.queuedFrames(), Math::max);
                }

                @Override
                public void end() throws Exception {
                    session.end();
                    session.closed().toCompletableFuture().get(120, TimeUnit.SECONDS);
                    dropped.addAndGet(session.droppedFrames());
                }
            };
        });
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("framesDropped", dropped.get());
        figures.put("maxQueuedSeconds", Bench.round(maxQueued.get() * 0.1));
        figures.put("cpuCoresUsed", Bench.round((Machine.processCpuNanos() - cpu) / 1e9 / seconds));
        figures.put("keptUp", dropped.get() == 0 && maxQueued.get() <= 5);
        return figures;
    }

    /**
     * N plain Vosk loops in real time: each a thread with one recognizer for the step, fed the clips back to back, a
     * 100 ms chunk when its time comes, a partial per chunk as the gateway takes. Its lag is how long after its time a
     * chunk's decoding started: what a session's queue holds.
     */
    private Map<String, Object> plainLoops(Model model, int loops, int seconds) throws Exception {
        AtomicLong maxLagNanos = new AtomicLong();
        long cpu = Machine.processCpuNanos();
        realTimeStreams(loops, seconds, "plain-vosk", () -> {
            Recognizer recognizer = new Recognizer(model, 16000);
            recognizer.setWords(true);
            byte[] chunk = new byte[Speech.FRAME_BYTES];
            return new RealTimeStream() {
                @Override
                public void chunk(byte[] pcm, int offset, int length, long sequence, long dueNanos) {
                    maxLagNanos.accumulateAndGet(System.nanoTime() - dueNanos, Math::max);
                    System.arraycopy(pcm, offset, chunk, 0, length);
                    if (recognizer.acceptWaveForm(chunk, length)) {
                        recognizer.getResult();
                    } else {
                        recognizer.getPartialResult();
                    }
                }

                @Override
                public void end() {
                    try {
                        recognizer.getFinalResult();
                    } finally {
                        recognizer.close();
                    }
                }
            };
        });
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("maxLagSeconds", Bench.round(maxLagNanos.get() / 1e9));
        figures.put("cpuCoresUsed", Bench.round((Machine.processCpuNanos() - cpu) / 1e9 / seconds));
        figures.put("keptUp", maxLagNanos.get() <= TimeUnit.MILLISECONDS.toNanos(500));
        return figures;
    }

    // ---- capacity through the vosk-server WebSocket endpoint ----------------------------------------------------

    void capacityWebSocket() throws Exception {
        List<Integer> steps = Arrays.stream(bench.options.getOrDefault("ws-sessions", "1,2,4,6,8").split(","))
                .map(String::trim).map(Integer::parseInt).toList();
        Path app = Path.of(bench.options.getOrDefault("app", "gateway/target/quarkus-app/quarkus-run.jar")).toAbsolutePath();
        List<Map<String, Object>> figures = new WebSocketCapacity(app, bench.clips).run(steps, bench.option("seconds", 60));
        bench.results.put("capacityWebSocket", figures);
        for (Map<String, Object> step : figures) {
            Bench.table("capacity through the vosk-server WebSocket endpoint (packaged gateway, real-time clients)", step);
        }
    }
}
