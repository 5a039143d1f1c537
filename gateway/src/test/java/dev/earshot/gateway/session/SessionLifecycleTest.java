package dev.earshot.gateway.session;

import dev.earshot.gateway.pipeline.Pipeline;
import dev.earshot.gateway.plugin.FakePlugin;
import dev.earshot.gateway.runtime.GatewayRuntime;
import dev.earshot.gateway.runtime.TestRuntimes;

import dev.earshot.spi.source.SessionOutcome;
import dev.earshot.gateway.plugin.ComponentKind;
import dev.earshot.spi.audio.AudioFormat;
import dev.earshot.spi.audio.AudioFrame;
import dev.earshot.spi.source.Pacing;
import dev.earshot.spi.transcript.TranscriptEvent;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** The session contracts of ARCHITECTURE.md, under concurrency: close semantics, one recognizer, no leaks. */
public class SessionLifecycleTest {

    private static final AudioFormat FORMAT = AudioFormat.SPEECH_16K;

    @TempDir
    Path home;

    private Vertx vertx;
    private FakePlugin plugin;
    private GatewayRuntime runtime;
    private Pipeline pipeline;
    private ExecutorService producers;

    @BeforeEach
    void start() {
        vertx = Vertx.vertx();
        plugin = new FakePlugin();
        runtime = TestRuntimes.start(vertx, TestRuntimes.settings(home,
                Map.of("p", TestRuntimes.pipeline("p", "counting", List.of("memory"), 8, 64)),
                Map.of(ComponentKind.ENGINE, Map.of()), 2), plugin);
        pipeline = runtime.pipeline("p").orElseThrow();
        producers = Executors.newFixedThreadPool(4);
    }

    @AfterEach
    void stop() throws Exception {
        producers.shutdownNow();
        runtime.stop();
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @Test
    void tenThousandOpenCloseCyclesWithFramesInFlight() throws Exception {
        for (int i = 0; i < 40; i++) {
            cycle(i, new AtomicInteger());
        }
        awaitTrue(() -> plugin.openRecognizers.get() == 0, "warm-up recognizers released");
        int baselineThreads = threadCount();
        plugin.recognizersPerSession.clear();

        AtomicInteger callbacksAfterClose = new AtomicInteger();
        List<String> decodedSessions = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            String decoded = cycle(i, callbacksAfterClose);
            if (decoded != null) {
                decodedSessions.add(decoded);
            }
        }
        Thread.sleep(200); // let any stray dispatch land, so that it would be counted
        assertEquals(0, callbacksAfterClose.get(), "listener calls after close() returned");
        assertNull(ManagementFactory.getThreadMXBean().findDeadlockedThreads(), "deadlocked threads");
        plugin.recognizersPerSession.forEach((session, count) ->
                assertEquals(1, count.get(), "recognizers created for session " + session));
        for (String session : decodedSessions) {
            assertEquals(1, plugin.recognizersPerSession.get(session).get(), "recognizers of decoding session " + session);
        }
        assertTrue(decodedSessions.size() > 3_000, "sessions that decoded audio: " + decodedSessions.size());
        awaitTrue(() -> plugin.openRecognizers.get() == 0, "every recognizer released, open: " + plugin.openRecognizers.get());
        assertEquals(0, pipeline.engine().openRecognizers());
        assertEquals(0, pipeline.sessionCount());
        awaitTrue(() -> threadCount() <= baselineThreads, "threads back to baseline " + baselineThreads + ", now " + threadCount());
    }

    /**
     * One session, closed in one of four ways while a producer writes frames. Returns the session id if it decoded
     * at least one frame, else null.
     */
    private String cycle(int i, AtomicInteger callbacksAfterClose) throws Exception {
        int mode = i % 4;
        AtomicBoolean closeReturned = new AtomicBoolean();
        AtomicReference<Session> ref = new AtomicReference<>();
        AtomicInteger transcripts = new AtomicInteger();
        CompletableFuture<SessionOutcome> closedHeard = new CompletableFuture<>();
        SessionListener listener = new SessionListener() {
            @Override
            public void onTranscript(TranscriptEvent event) {
                if (closeReturned.get()) {
                    callbacksAfterClose.incrementAndGet();
                }
                transcripts.incrementAndGet();
                if (mode == 1 && event.sequence() >= 2) {
                    ref.get().close(); // from inside its own callback: must return, no deadlock
                    closeReturned.set(true);
                }
            }

            @Override
            public void onClosed(SessionOutcome reason) {
                if (closeReturned.get()) {
                    callbacksAfterClose.incrementAndGet();
                }
                closedHeard.complete(reason);
            }
        };
        Pacing pacing = i % 2 == 0 ? Pacing.LIVE : Pacing.PACED;
        Session session = pipeline.openSession(new SessionRequest("test:" + i, FORMAT, pacing, Map.of(), true, 0,
                List.of(), listener, null));
        ref.set(session);
        int frames = 5 + ThreadLocalRandom.current().nextInt(20);
        Future<?> producer = producers.submit(() -> {
            for (int f = 0; f < frames; f++) {
                AudioFrame frame = AudioFrame.copyOf(FORMAT, new byte[320], 0, 320, f, Instant.now());
                try {
                    if (!session.put(frame)) {
                        return null;
                    }
                } catch (InterruptedException e) {
                    return null;
                }
            }
            if (mode == 2) {
                session.end();
            }
            return null;
        });
        switch (mode) {
            case 0 -> {
                Thread.sleep(ThreadLocalRandom.current().nextInt(3));
                session.close();
                closeReturned.set(true);
            }
            case 3 -> {
                session.close();
                closeReturned.set(true);
            }
            default -> {
            }
        }
        CompletableFuture<SessionOutcome> closed = session.closed().toCompletableFuture();
        try {
            if (mode == 1) {
                // Closed from the callback, or ends by itself if fewer than three partials came.
                producer.get(10, TimeUnit.SECONDS);
                if (!closed.isDone()) {
                    session.end();
                }
            }
            closed.get(10, TimeUnit.SECONDS);
            producer.get(10, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            fail("session " + session.id() + " (mode " + mode + ") did not close within 10 s: deadlock?\n" + threadDump());
        }
        if (mode == 2) {
            // Graceful end: onClosed is the last call; anything after it counts as a violation.
            assertEquals(SessionOutcome.ended(), closedHeard.get(10, TimeUnit.SECONDS));
            closeReturned.set(true);
        }
        return session.framesDecoded() > 0 ? session.id() : null;
    }

    @Test
    void pacedSessionLosesNothingAndEndsWithAFinal() throws Exception {
        plugin.decodeDelay = java.time.Duration.ofMillis(2);
        List<TranscriptEvent> events = new java.util.concurrent.CopyOnWriteArrayList<>();
        Session session = pipeline.openSession(new SessionRequest("test:paced", FORMAT, Pacing.PACED, Map.of(), true, 0,
                List.of(), new SessionListener() {
            @Override
            public void onTranscript(TranscriptEvent event) {
                events.add(event);
            }
        }, null));
        int frames = 100;
        for (int f = 0; f < frames; f++) {
            assertTrue(session.put(AudioFrame.copyOf(FORMAT, new byte[320], 0, 320, f, Instant.now())));
            assertTrue(session.queuedFrames() <= 8, "queue within its bound");
        }
        session.end();
        assertEquals(SessionOutcome.ended(), session.closed().toCompletableFuture().get(10, TimeUnit.SECONDS));
        awaitTrue(() -> !events.isEmpty() && events.get(events.size() - 1).isFinal(), "final delivered to listener");
        TranscriptEvent last = events.get(events.size() - 1);
        assertEquals("frames 100 samples 16000", last.text());
        assertEquals(0, session.droppedFrames());
        for (int k = 0; k < events.size(); k++) {
            assertEquals(k, events.get(k).sequence(), "event sequence");
        }
    }

    @Test
    void flushEndsAnUtteranceInOrderAndTheSessionGoesOn() throws Exception {
        plugin.decodeDelay = java.time.Duration.ofMillis(1);
        List<String> calls = new java.util.concurrent.CopyOnWriteArrayList<>();
        Session session = pipeline.openSession(new SessionRequest("test:flush", FORMAT, Pacing.PACED, Map.of(), true, 0,
                List.of(), new SessionListener() {
            @Override
            public void onTranscript(TranscriptEvent event) {
                if (event.isFinal()) {
                    calls.add("final " + event.text());
                }
            }

            @Override
            public void onDecoded(long items) {
                calls.add("decoded " + items);
            }
        }, null));
        int sequence = 0;
        for (int f = 0; f < 10; f++) {
            assertTrue(session.put(AudioFrame.copyOf(FORMAT, new byte[320], 0, 320, sequence++, Instant.now())));
        }
        while (!session.flush()) {
            Thread.sleep(1); // the queue was full: a flush is paced like a frame
        }
        for (int f = 0; f < 5; f++) {
            assertTrue(session.put(AudioFrame.copyOf(FORMAT, new byte[320], 0, 320, sequence++, Instant.now())));
        }
        session.end();
        assertFalse(session.flush(), "no flush after end");
        assertEquals(SessionOutcome.ended(), session.closed().toCompletableFuture().get(10, TimeUnit.SECONDS));
        awaitTrue(() -> calls.contains("final frames 15 samples 2400"), "final of the end, calls " + calls);
        int flushFinal = calls.indexOf("final frames 10 samples 1600");
        assertTrue(flushFinal > 0, "the flush reported the final of the first 10 frames: " + calls);
        assertEquals("decoded 10", calls.get(flushFinal - 1), "progress up to the flush comes before its final: " + calls);
        assertEquals("decoded 11", calls.get(flushFinal + 1), "the flush marker counts as one item: " + calls);
        assertEquals("decoded 16", calls.stream().filter(c -> c.startsWith("decoded")).reduce((a, b) -> b).orElseThrow(),
                "every frame and the marker decoded: " + calls);
        assertEquals(1, plugin.recognizersPerSession.get(session.id()).get(), "one recognizer across the flush");
        assertEquals(0, session.droppedFrames());
    }

    @Test
    void liveSessionDropsOldestWhenDecodingFallsBehindAndCountsIt() throws Exception {
        plugin.decodeDelay = java.time.Duration.ofMillis(5);
        Session session = pipeline.openSession(SessionRequest.of("test:live", FORMAT, Pacing.LIVE));
        int frames = 300;
        int maxQueued = 0;
        for (int f = 0; f < frames; f++) {
            assertTrue(session.offer(AudioFrame.copyOf(FORMAT, new byte[320], 0, 320, f, Instant.now())));
            maxQueued = Math.max(maxQueued, session.queuedFrames());
        }
        session.end();
        session.closed().toCompletableFuture().get(20, TimeUnit.SECONDS);
        assertTrue(maxQueued <= 8, "queue depth " + maxQueued + " within its bound of 8");
        assertTrue(session.droppedFrames() > 0, "frames were dropped");
        assertEquals(frames, session.framesDecoded() + session.droppedFrames(), "every frame decoded or counted as dropped");
    }

    @Test
    void reportsTheLevelOfTheLastFrameTakenForDecoding() throws Exception {
        AudioFormat stereo48k = new AudioFormat(48000, 2);
        Session session = pipeline.openSession(SessionRequest.of("test:level", stereo48k, Pacing.PACED));
        assertTrue(Double.isNaN(session.level().rmsDbfs()), "no level before the first frame");
        // A 1 kHz tone at a quarter of full scale on both channels: -12.0 dBFS peak, -15.1 dBFS RMS, as it came in.
        short[] samples = new short[2 * 4800];
        for (int i = 0; i < 4800; i++) {
            short value = (short) Math.round(8192 * Math.sin(2 * Math.PI * 1000 * i / 48000.0));
            samples[2 * i] = value;
            samples[2 * i + 1] = value;
        }
        assertTrue(session.offer(AudioFrame.ofSamples(stereo48k, samples, samples.length, 0, Instant.now())));
        awaitTrue(() -> !Double.isNaN(session.level().rmsDbfs()), "the frame was taken for decoding");
        assertEquals(-12.04, session.level().peakDbfs(), 0.01);
        assertEquals(-15.05, session.level().rmsDbfs(), 0.01);
        assertTrue(session.offer(AudioFrame.ofSamples(stereo48k, new short[9600], 9600, 1, Instant.now())));
        awaitTrue(() -> session.level().rmsDbfs() == dev.earshot.audio.LevelMeter.FLOOR_DBFS, "silence reads the floor");
        session.end();
        session.closed().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @Test
    void refusesFramesOfAnotherFormatAndSessionsBeyondTheLimit() {
        Session session = pipeline.openSession(SessionRequest.of("test:format", FORMAT, Pacing.LIVE));
        AudioFormat other = new AudioFormat(8000, 1);
        IllegalArgumentException wrong = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> session.offer(AudioFrame.copyOf(other, new byte[160], 0, 160, 0, Instant.now())));
        assertTrue(wrong.getMessage().contains("8000 Hz mono") && wrong.getMessage().contains("16000 Hz mono"), wrong.getMessage());
        session.close();
        session.closed().toCompletableFuture().join();
        List<Session> open = new ArrayList<>();
        for (int k = 0; k < 64; k++) {
            open.add(pipeline.openSession(SessionRequest.of("test:limit", FORMAT, Pacing.LIVE)));
        }
        SessionRefusedException refused = org.junit.jupiter.api.Assertions.assertThrows(SessionRefusedException.class,
                () -> pipeline.openSession(SessionRequest.of("test:limit", FORMAT, Pacing.LIVE)));
        assertTrue(refused.retryable());
        assertTrue(refused.getMessage().contains("earshot.pipelines.p.max-sessions"), refused.getMessage());
        open.forEach(Session::close);
    }

    @Test
    void resamplesSessionsToTheEngineFormat() throws Exception {
        AudioFormat stereo48k = new AudioFormat(48000, 2);
        List<TranscriptEvent> events = new java.util.concurrent.CopyOnWriteArrayList<>();
        Session session = pipeline.openSession(new SessionRequest("test:48k", stereo48k, Pacing.PACED, Map.of(), true, 0,
                List.of(), new SessionListener() {
            @Override
            public void onTranscript(TranscriptEvent event) {
                events.add(event);
            }
        }, null));
        for (int f = 0; f < 10; f++) {
            assertTrue(session.put(AudioFrame.copyOf(stereo48k, new byte[19200], 0, 19200, f, Instant.now())));
        }
        session.end();
        session.closed().toCompletableFuture().get(10, TimeUnit.SECONDS);
        awaitTrue(() -> !events.isEmpty() && events.get(events.size() - 1).isFinal(), "final");
        // 10 x 100 ms at 48 kHz stereo -> exactly one second at 16 kHz mono.
        assertTrue(events.get(events.size() - 1).text().endsWith("samples 16000"), events.get(events.size() - 1).text());
    }

    static int threadCount() {
        return ManagementFactory.getThreadMXBean().getThreadCount();
    }

    public static void awaitTrue(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out waiting for: " + what + "\n" + threadDump());
            }
            Thread.sleep(10);
        }
    }

    static String threadDump() {
        StringBuilder dump = new StringBuilder();
        for (ThreadInfo info : ManagementFactory.getThreadMXBean().dumpAllThreads(true, true)) {
            dump.append(info);
        }
        return dump.toString();
    }
}
