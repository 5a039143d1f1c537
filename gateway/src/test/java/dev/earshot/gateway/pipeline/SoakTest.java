package dev.earshot.gateway.pipeline;

import dev.earshot.spi.source.SessionOutcome;
import dev.earshot.gateway.delivery.SinkChannel;
import dev.earshot.gateway.plugin.FakePlugin;
import dev.earshot.gateway.runtime.GatewayRuntime;
import dev.earshot.gateway.runtime.TestRuntimes;
import dev.earshot.gateway.session.Session;
import dev.earshot.gateway.session.SessionListener;
import dev.earshot.gateway.session.SessionRequest;
import dev.earshot.gateway.settings.PipelineSettings;
import dev.earshot.gateway.settings.RuntimeSettings;
import dev.earshot.gateway.SpeechFixtures;
import dev.earshot.gateway.plugin.ComponentKind;
import dev.earshot.spi.Plugin;
import dev.earshot.spi.audio.AudioFormat;
import dev.earshot.spi.audio.AudioFrame;
import dev.earshot.audio.Wav;
import dev.earshot.spi.source.Pacing;
import dev.earshot.spi.transcript.TranscriptEvent;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The short soak that runs with the tests (the long one is the bench's {@code soak} mode, docs/PERFORMANCE.md): 50
 * live sessions of real speech fed in real time (each slot, like a client, waits for its session's last final before
 * it starts the next clip) through the real Vosk engine, far more than two cores decode, into a
 * sink that takes one event per second. Over the run the heap after GC stays flat, every frame sent is either decoded
 * or counted as dropped, partials the sink cannot take are dropped and counted, and no final is lost: each one is
 * delivered, or spooled at stop and delivered by the next start on the same data folder.
 */
class SoakTest {

    private static final int SESSIONS = 50;
    /** Seconds of feeding; {@code -Dtest.soak.seconds=N} runs it longer. */
    private static final int SECONDS = Integer.getInteger("test.soak.seconds", 75);
    private static final int FRAME_BYTES = AudioFormat.SPEECH_16K.bytesFor(Duration.ofMillis(20));

    @TempDir
    Path data;

    @Test
    void fiftyLiveSessionsIntoASlowSinkKeepTheHeapFlatAndLoseNoFinal() throws Exception {
        List<byte[]> clips = new ArrayList<>();
        for (String clip : SpeechFixtures.librivoxReferences().keySet()) {
            byte[] file = Files.readAllBytes(SpeechFixtures.LIBRIVOX.resolve(clip));
            Wav.Header header = Wav.parse(file);
            assertEquals(AudioFormat.SPEECH_16K, header.format(), clip);
            try (InputStream pcm = Wav.pcm16(new ByteArrayInputStream(file, (int) header.dataOffset(),
                    file.length - (int) header.dataOffset()), header)) {
                clips.add(pcm.readAllBytes());
            }
        }
        Plugin vosk = ServiceLoader.load(Plugin.class).stream().map(ServiceLoader.Provider::get)
                .filter(p -> p.name().equals("vosk")).findFirst().orElseThrow();
        FakePlugin slow = new FakePlugin();
        slow.sinkDelay = Duration.ofSeconds(1);
        Map<String, Long> finalsProduced = new ConcurrentHashMap<>();
        Vertx vertx = Vertx.vertx();
        GatewayRuntime runtime = TestRuntimes.start(vertx, settings(), vosk, slow);
        List<Session> ended = new ArrayList<>();
        List<Long> framesSent = new ArrayList<>();
        List<double[]> heap = new ArrayList<>();
        SinkChannel sink;
        try {
            Pipeline pipeline = runtime.pipeline("soak").orElseThrow();
            sink = runtime.sinks().iterator().next();
            Session[] open = new Session[SESSIONS];
            Session[] ending = new Session[SESSIONS];
            int[] offsets = new int[SESSIONS];
            long[] sent = new long[SESSIONS];
            SessionListener countFinals = new SessionListener() {
                @Override
                public void onTranscript(TranscriptEvent event) {
                    if (event.isFinal()) {
                        finalsProduced.put(event.id(), 1L);
                    }
                }
            };
            // One feeder thread for every session: a 20 ms tick offers each session its next frame (live pacing:
            // a full queue drops the oldest frame and counts it). A session that has sent its clip ends and the
            // slot starts the next clip in a new session.
            long begin = System.nanoTime();
            long deadline = begin + TimeUnit.SECONDS.toNanos(SECONDS);
            long nextSample = begin + TimeUnit.SECONDS.toNanos(10);
            MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
            for (long tick = 0; System.nanoTime() < deadline; tick++) {
                for (int s = 0; s < SESSIONS; s++) {
                    byte[] clip = clips.get(s % clips.size());
                    if (open[s] == null) {
                        if (ending[s] != null && ending[s].isOpen()) {
                            continue; // like a client, the slot waits for its last session's final before the next
                        }
                        open[s] = pipeline.openSession(new SessionRequest("test:soak", AudioFormat.SPEECH_16K,
                                Pacing.LIVE, Map.of(), true, 0, List.of(), countFinals, null));
                        // Staggered starts, so that the sessions do not all end on the same tick.
                        offsets[s] = tick == 0 ? (s * 7 * FRAME_BYTES) % clip.length / FRAME_BYTES * FRAME_BYTES : 0;
                        sent[s] = 0;
                    }
                    int length = Math.min(FRAME_BYTES, clip.length - offsets[s]);
                    assertTrue(open[s].offer(AudioFrame.copyOf(AudioFormat.SPEECH_16K, clip, offsets[s], length, sent[s],
                            Instant.now())), "a live session takes every frame");
                    sent[s]++;
                    offsets[s] += length;
                    if (offsets[s] >= clip.length) {
                        open[s].end();
                        ended.add(open[s]);
                        framesSent.add(sent[s]);
                        ending[s] = open[s];
                        open[s] = null;
                    }
                }
                long now = System.nanoTime();
                if (now >= nextSample) {
                    heap.add(new double[]{(now - begin) / 1e9, heapAfterGcMiB(memory)});
                    nextSample += TimeUnit.SECONDS.toNanos(10);
                }
                long nextTick = begin + (tick + 1) * 20_000_000L;
                long wait = nextTick - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
            }
            for (int s = 0; s < SESSIONS; s++) {
                if (open[s] != null) {
                    open[s].end();
                    ended.add(open[s]);
                    framesSent.add(sent[s]);
                }
            }
            for (Session session : ended) {
                assertEquals(SessionOutcome.ended(), session.closed().toCompletableFuture().get(120, TimeUnit.SECONDS));
            }
        } finally {
            runtime.stop();
        }

        // Every frame sent was decoded or dropped and counted, session by session.
        long dropped = 0;
        for (int i = 0; i < ended.size(); i++) {
            Session session = ended.get(i);
            assertEquals((long) framesSent.get(i), session.framesDecoded() + session.droppedFrames(),
                    "frames of session " + session.id() + ": decoded " + session.framesDecoded() + " + dropped "
                            + session.droppedFrames());
            dropped += session.droppedFrames();
        }
        String figures = String.format("soak %d s, %d sessions: heap after GC %s MiB, slope %.2f MiB/min; frames %d sent,"
                        + " %d dropped; finals %d produced, %d delivered, %d spooled at stop; partials dropped at the sink %d",
                SECONDS, ended.size(), heap.stream().map(h -> String.format("%.1f", h[1])).collect(Collectors.joining(" ")),
                slope(heap) * 60, framesSent.stream().mapToLong(Long::longValue).sum(), dropped, finalsProduced.size(),
                finalDeliveries(slow).size(), sink.spooled(), sink.droppedPartials());
        System.out.println(figures);
        assertTrue(heap.size() >= 3, figures);
        // Flat: a leak of even one session's buffers per cycle would show as several MiB per minute.
        assertTrue(Math.abs(slope(heap) * 60) < 4.0, "heap after GC grows: " + figures);
        assertTrue(dropped > 0, "two cores cannot decode 50 real-time streams: live frames are dropped: " + figures);
        assertTrue(sink.droppedPartials() > 0, "a sink at one event per second drops partials: " + figures);
        assertEquals(0, sink.droppedFinals(), figures);
        assertTrue(finalsProduced.size() >= SESSIONS, figures);

        // What the slow sink did not take was spooled at stop; the next start on the same data folder delivers it.
        FakePlugin fast = new FakePlugin();
        GatewayRuntime restarted = TestRuntimes.start(vertx, settings(), vosk, fast);
        try {
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            Set<String> delivered = finalDeliveries(slow);
            while (!delivered.containsAll(finalsProduced.keySet()) && System.nanoTime() < until) {
                Thread.sleep(100);
                delivered.addAll(finalDeliveries(fast));
            }
            Set<String> lost = new java.util.TreeSet<>(finalsProduced.keySet());
            lost.removeAll(delivered);
            assertEquals(Set.of(), lost, "finals never delivered; " + figures);
        } finally {
            restarted.stop();
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    private RuntimeSettings settings() {
        Path home = SpeechFixtures.MODEL.getParent().getParent();
        PipelineSettings soak = TestRuntimes.pipeline("soak", "vosk", List.of("memory"), 50, SESSIONS);
        return new RuntimeSettings(home, data, Map.of("soak", soak), Map.of(ComponentKind.ENGINE, Map.of()), Map.of(), 2,
                Duration.ofSeconds(2), Duration.ofSeconds(5), 16);
    }

    private static Set<String> finalDeliveries(FakePlugin plugin) {
        Set<String> ids = ConcurrentHashMap.newKeySet();
        plugin.delivered.stream().filter(TranscriptEvent::isFinal).forEach(event -> ids.add(event.id()));
        return ids;
    }

    /** Least-squares slope of y over x. */
    /**
     * Heap in use after collections, repeated (at most 3) while a collection still frees more than 0.5 MiB. One
     * collection can leave garbage that only a later one frees (objects kept until their cleaner or finalizer has run,
     * such as native wrappers closed by the tests before this one in the same JVM; not confirmed): a CI run read 621 MiB at the first sample
     * and 612-613 MiB at all the later ones, a slope of -5.2 MiB/min over 75 s that failed the flatness check though
     * nothing grew.
     */
    private static double heapAfterGcMiB(MemoryMXBean memory) {
        double used = Double.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            System.gc();
            double now = memory.getHeapMemoryUsage().getUsed() / 1048576.0;
            if (now > used - 0.5) {
                return Math.min(now, used);
            }
            used = now;
        }
        return used;
    }

    private static double slope(List<double[]> points) {
        double n = points.size(), sx = 0, sy = 0, sxx = 0, sxy = 0;
        for (double[] p : points) {
            sx += p[0];
            sy += p[1];
            sxx += p[0] * p[0];
            sxy += p[0] * p[1];
        }
        return n < 2 ? 0 : (n * sxy - sx * sy) / (n * sxx - sx * sx);
    }
}
