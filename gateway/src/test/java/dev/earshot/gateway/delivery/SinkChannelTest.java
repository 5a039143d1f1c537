package dev.earshot.gateway.delivery;

import dev.earshot.gateway.session.SessionLifecycleTest;

import dev.earshot.spi.sink.TranscriptSink;
import dev.earshot.spi.transcript.TranscriptEvent;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SinkChannelTest {

    @TempDir
    Path data;

    private SinkChannel channel(String id, TranscriptSink sink, int capacity, int retries, Duration delay,
                                MeterRegistry registry) {
        return new SinkChannel(id, sink, new SinkChannel.Settings(capacity, retries, delay, Duration.ofMillis(200)),
                new FinalSpool.Settings(data.resolve("spool").resolve(id), 1024 * 1024, FinalSpool.FullPolicy.REFUSE),
                registry);
    }

    private static TranscriptEvent event(String session, long sequence, boolean isFinal) {
        return new TranscriptEvent(session + "-" + sequence, isFinal ? TranscriptEvent.Type.FINAL : TranscriptEvent.Type.PARTIAL,
                "p", session, sequence, (isFinal ? "final " : "partial ") + sequence, List.of(), List.of(), 0, Instant.now());
    }

    /** A sink that takes one event per second: bounded queue, partials dropped and counted, every final delivered. */
    @Test
    void slowSinkKeepsItsBoundAndLosesNoFinal() throws Exception {
        List<TranscriptEvent> delivered = new CopyOnWriteArrayList<>();
        TranscriptSink onePerSecond = event -> {
            Thread.sleep(1000);
            delivered.add(event);
        };
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        // Room for the finals of the burst below (6), not for its partials (60).
        SinkChannel channel = channel("slow", onePerSecond, 8, 3, Duration.ofMillis(10), registry);
        List<TranscriptEvent> finals = new ArrayList<>();
        int partials = 0;
        String[] sessions = {"a", "b", "c"};
        long[] sequence = new long[3];
        // Three sessions, 20 partials each, a final after every 10 partials: 6 finals, 60 partials, in ~0.6 s.
        for (int round = 0; round < 20; round++) {
            for (int s = 0; s < 3; s++) {
                channel.offer(event(sessions[s], sequence[s]++, false));
                partials++;
                if (round % 10 == 9) {
                    TranscriptEvent fin = event(sessions[s], sequence[s]++, true);
                    finals.add(fin);
                    channel.offer(fin);
                }
                assertTrue(channel.depth() <= 8, "depth " + channel.depth() + " within the bound of 8");
            }
            Thread.sleep(30);
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (delivered.stream().filter(TranscriptEvent::isFinal).count() < finals.size() && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        channel.close(Duration.ofSeconds(5));
        List<TranscriptEvent> deliveredFinals = delivered.stream().filter(TranscriptEvent::isFinal).toList();
        assertEquals(finals, deliveredFinals, "every final, in order");
        assertEquals(0, channel.droppedFinals());
        assertTrue(channel.maxDepth() <= 8, "max depth " + channel.maxDepth());
        long deliveredPartials = delivered.stream().filter(e -> !e.isFinal()).count();
        assertEquals(partials, deliveredPartials + channel.droppedPartials(), "every partial delivered or counted as dropped");
        assertTrue(channel.droppedPartials() > 30, "most partials dropped: " + channel.droppedPartials());
        assertEquals((double) channel.droppedPartials(),
                registry.get("earshot.sink.dropped").tag("sink", "slow").tag("type", "partial").counter().count());
        // Per session, nothing is delivered out of order.
        for (String session : sessions) {
            long last = -1;
            for (TranscriptEvent e : delivered) {
                if (e.session().equals(session)) {
                    assertTrue(e.sequence() > last, "order within session " + session);
                    last = e.sequence();
                }
            }
        }
    }

    /**
     * A final that finds the queue full of finals goes to the spool; at shutdown the final in the sink's hands and
     * the queued ones go in front of it; the next channel on the same folder delivers all of them, in order.
     */
    @Test
    void finalsThatFindTheQueueFullOfFinalsAreSpooledAndSurviveAClose() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        Object gate = new Object();
        TranscriptSink blocked = event -> {
            calls.incrementAndGet();
            synchronized (gate) {
                gate.wait();
            }
        };
        SinkChannel channel = channel("stuck", blocked, 2, 0, Duration.ofMillis(10), new SimpleMeterRegistry());
        channel.offer(event("a", 0, true));
        while (calls.get() == 0) {
            Thread.sleep(5);
        }
        channel.offer(event("a", 1, true));
        channel.offer(event("a", 2, true));
        channel.offer(event("a", 3, true));
        channel.offer(event("a", 4, false));
        channel.offer(event("a", 5, true));
        assertEquals(2, channel.depth());
        assertEquals(0, channel.droppedFinals());
        assertEquals(2, channel.spool().events(), "a-3 and a-5 spooled");
        assertEquals(1, channel.droppedPartials(), "a partial behind spooled finals is dropped");
        channel.close(Duration.ofMillis(100));
        assertEquals(0, channel.droppedFinals(), "nothing dropped at shutdown");

        List<TranscriptEvent> delivered = new CopyOnWriteArrayList<>();
        SinkChannel next = channel("stuck", delivered::add, 2, 0, Duration.ofMillis(10), new SimpleMeterRegistry());
        SessionLifecycleTest.awaitTrue(() -> delivered.size() == 5, "the spool replayed after the restart: " + delivered);
        next.close(Duration.ofSeconds(1));
        assertEquals(List.of("a-0", "a-1", "a-2", "a-3", "a-5"), delivered.stream().map(TranscriptEvent::id).toList());
        assertEquals(0, next.spool().events());
        assertEquals(0, next.droppedFinals());
    }

    /** A sink that fails for a while: finals go to the spool after the retries, then arrive once, in order. */
    @Test
    void finalsOfAnOutageAreSpooledThenDeliveredInOrder() throws Exception {
        java.util.concurrent.atomic.AtomicBoolean down = new java.util.concurrent.atomic.AtomicBoolean(true);
        List<TranscriptEvent> delivered = new CopyOnWriteArrayList<>();
        TranscriptSink sink = event -> {
            if (down.get()) {
                throw new java.io.IOException("connection refused");
            }
            delivered.add(event);
        };
        SinkChannel channel = channel("outage", sink, 4, 1, Duration.ofMillis(5), new SimpleMeterRegistry());
        List<String> sent = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            TranscriptEvent partial = event("s" + (i % 3), i * 2, false);
            TranscriptEvent fin = event("s" + (i % 3), i * 2 + 1, true);
            channel.offer(partial);
            channel.offer(fin);
            sent.add(fin.id());
            Thread.sleep(2);
        }
        SessionLifecycleTest.awaitTrue(() -> channel.spool().events() == 40 && channel.depth() == 0,
                "every final spooled: " + channel.spool().events());
        assertTrue(channel.failing());
        down.set(false);
        SessionLifecycleTest.awaitTrue(() -> delivered.stream().filter(TranscriptEvent::isFinal).count() == 40,
                "all finals delivered after recovery");
        channel.close(Duration.ofSeconds(1));
        assertEquals(sent, delivered.stream().filter(TranscriptEvent::isFinal).map(TranscriptEvent::id).toList());
        assertEquals(0, channel.droppedFinals());
        assertTrue(channel.retried() > 0);
    }

    /** A receiver that rejects an event for good: not retried, not spooled, counted; the next one goes through. */
    @Test
    void permanentRejectionsAreNotRetried() throws Exception {
        AtomicInteger attempts = new AtomicInteger();
        List<TranscriptEvent> delivered = new CopyOnWriteArrayList<>();
        TranscriptSink picky = event -> {
            attempts.incrementAndGet();
            if (event.text().contains("1")) {
                throw new dev.earshot.spi.sink.DeliveryException("HTTP 400: bad payload", false);
            }
            delivered.add(event);
        };
        SinkChannel channel = channel("picky", picky, 8, 3, Duration.ofMillis(5), new SimpleMeterRegistry());
        channel.offer(event("a", 1, true));
        channel.offer(event("a", 2, true));
        channel.close(Duration.ofSeconds(5));
        assertEquals(2, attempts.get(), "one attempt each");
        assertEquals(List.of("a-2"), delivered.stream().map(TranscriptEvent::id).toList());
        assertEquals(1, channel.droppedFinals());
        assertEquals(0, channel.spool().events());
    }

    @Test
    void failedFinalsAreRetriedWithBackOff() throws Exception {
        AtomicInteger attempts = new AtomicInteger();
        List<TranscriptEvent> delivered = new CopyOnWriteArrayList<>();
        TranscriptSink flaky = event -> {
            if (attempts.incrementAndGet() < 3) {
                throw new java.io.IOException("receiver down");
            }
            delivered.add(event);
        };
        SinkChannel channel = channel("flaky", flaky, 8, 3, Duration.ofMillis(10), new SimpleMeterRegistry());
        channel.offer(event("a", 0, true));
        channel.close(Duration.ofSeconds(5));
        assertEquals(1, delivered.size());
        assertEquals(3, attempts.get());
        assertEquals(0, channel.droppedFinals());
    }

    /** Policy refuse: near the bound, pipelines must refuse sessions; at the bound, a final is dropped loudly. */
    @Test
    void aFullSpoolUnderRefuseSaysWhyAndCountsWhatItCannotStore() throws Exception {
        TranscriptSink down = event -> {
            throw new java.io.IOException("connection refused");
        };
        SinkChannel channel = new SinkChannel("full", down, new SinkChannel.Settings(2, 0, Duration.ofMillis(5), Duration.ofMillis(50)),
                new FinalSpool.Settings(data.resolve("spool/full"), 4096, FinalSpool.FullPolicy.REFUSE), new SimpleMeterRegistry());
        assertEquals(null, channel.refusal());
        int sequence = 0;
        while (channel.droppedFinals() == 0 && sequence < 1000) {
            channel.offer(event("a", sequence++, true));
            Thread.sleep(1);
        }
        assertTrue(channel.spool().bytes() <= 4096 + 2 * 200, "bounded: " + channel.spool().bytes());
        String refusal = channel.refusal();
        assertTrue(refusal != null && refusal.contains("earshot.sinks.full.spool-size"), refusal);
        assertEquals(1, channel.droppedFinals());
        channel.close(Duration.ofMillis(100));
    }
}
