package dev.earshot.bench;

import dev.earshot.gateway.runtime.GatewayRuntime;
import dev.earshot.gateway.pipeline.Pipeline;
import dev.earshot.gateway.session.Session;
import dev.earshot.gateway.session.SessionListener;
import dev.earshot.gateway.session.SessionRequest;
import dev.earshot.spi.audio.AudioFormat;
import dev.earshot.spi.audio.AudioFrame;
import dev.earshot.spi.source.Pacing;
import dev.earshot.spi.source.SessionOutcome;
import dev.earshot.spi.transcript.TranscriptEvent;
import io.vertx.core.Vertx;

import java.lang.management.ManagementFactory;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

/** Endurance: open/close races ({@code stress}) and many live sessions over time ({@code soak}). */
final class EnduranceBench {

    private final Bench bench;

    EnduranceBench(Bench bench) {
        this.bench = bench;
    }

    // ---- stress -------------------------------------------------------------------------------------------------

    /** Open/close cycles with frames in flight and closes racing callbacks; a watchdog dumps threads on a hang. */
    void stress() throws Exception {
        int cycles = bench.option("cycles", 10_000);
        BenchPlugin probe = new BenchPlugin();
        Vertx vertx = Vertx.vertx();
        GatewayRuntime runtime = bench.runtime(vertx, probe, "null", List.of(), 8, 64, Bench.tempData());
        Map<String, Object> figures = new LinkedHashMap<>();
        var producers = Executors.newFixedThreadPool(4);
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
                AtomicBoolean closeReturned = new AtomicBoolean();
                AtomicReference<Session> ref = new AtomicReference<>();
                Session session = pipeline.openSession(new SessionRequest("bench:stress", AudioFormat.SPEECH_16K, Pacing.LIVE,
                        Map.of(), true, 0, List.of(), new SessionListener() {
                    @Override
                    public void onTranscript(TranscriptEvent event) {
                        if (closeReturned.get()) {
                            late.incrementAndGet();
                        }
                    }

                    @Override
                    public void onClosed(SessionOutcome reason) {
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
                CompletableFuture<SessionOutcome> closed = session.closed().toCompletableFuture();
                try {
                    closed.get(10, TimeUnit.SECONDS);
                    producer.get(10, TimeUnit.SECONDS);
                } catch (TimeoutException e) {
                    System.err.println("watchdog: cycle " + i + " did not close within 10 s; threads:");
                    for (var info : ManagementFactory.getThreadMXBean().dumpAllThreads(true, true)) {
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
            figures.put("deadlockedThreads", ManagementFactory.getThreadMXBean().findDeadlockedThreads() == null ? 0
                    : ManagementFactory.getThreadMXBean().findDeadlockedThreads().length);
            figures.put("openRecognizersAfter", pipeline.engine().openRecognizers());
            figures.put("threadsBefore", threadsBefore);
            figures.put("threadsAfter", Machine.threads());
            figures.put("heapAfterGcBeforeMiB", Bench.round(heapBefore));
            figures.put("heapAfterGcAfterMiB", Bench.round(Machine.heapAfterGcMiB()));
        } finally {
            producers.shutdownNow();
            runtime.stop();
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
        bench.results.put("stress", figures);
        Bench.table("stress (open/close cycles, null engine)", figures);
    }

    // ---- soak ---------------------------------------------------------------------------------------------------

    /** Many live sessions of real speech for a while, with a sink that takes one event per second. */
    void soak() throws Exception {
        int sessions = bench.option("sessions", 50);
        int seconds = bench.option("seconds", 120);
        BenchPlugin probe = new BenchPlugin();
        probe.sinkDelayMillis.set(1000);
        Vertx vertx = Vertx.vertx();
        GatewayRuntime runtime = bench.runtime(vertx, probe, "timed-vosk", List.of("clock"), 50, sessions, Bench.tempData());
        Map<String, Object> figures = new LinkedHashMap<>();
        List<double[]> heap = new ArrayList<>();
        try {
            Pipeline pipeline = runtime.pipeline("bench").orElseThrow();
            List<Thread> feeders = new ArrayList<>();
            AtomicLong framesDropped = new AtomicLong();
            AtomicLong framesSent = new AtomicLong();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            for (int s = 0; s < sessions; s++) {
                int index = s;
                Thread feeder = new Thread(() -> {
                    try {
                        while (System.nanoTime() < deadline) {
                            Speech clip = bench.clips.get(index % bench.clips.size());
                            Session session = pipeline.openSession(SessionRequest.of("bench:soak", AudioFormat.SPEECH_16K, Pacing.LIVE));
                            Bench.feed(session, clip, true, null);
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
            figures.put("heapSlopeMiBPerMinute", Bench.round(slope(heap) * 60));
            figures.put("heapSamplesMiB", heap.stream().map(h -> Bench.round(h[1])).collect(Collectors.toList()));
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
        bench.results.put("soak", figures);
        Bench.table("soak (real speech, live sessions, sink at 1 event/s)", figures);
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
}
