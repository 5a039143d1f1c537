package dev.earshot.gateway.pipeline;

import dev.earshot.spi.sink.TranscriptSink;
import dev.earshot.spi.transcript.TranscriptEvent;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SinkChannelTest {

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
        SinkChannel channel = new SinkChannel("slow", onePerSecond, 8, 3, Duration.ofMillis(10), registry);
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

    @Test
    void finalsThatFindTheQueueFullOfFinalsAreDroppedLoudlyAndCounted() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        Object gate = new Object();
        TranscriptSink blocked = event -> {
            calls.incrementAndGet();
            synchronized (gate) {
                gate.wait();
            }
        };
        SinkChannel channel = new SinkChannel("stuck", blocked, 2, 0, Duration.ofMillis(10), new SimpleMeterRegistry());
        channel.offer(event("a", 0, true));
        while (calls.get() == 0) {
            Thread.sleep(5);
        }
        channel.offer(event("a", 1, true));
        channel.offer(event("a", 2, true));
        channel.offer(event("a", 3, true));
        assertEquals(2, channel.depth());
        assertEquals(1, channel.droppedFinals());
        channel.close(Duration.ofMillis(100));
        assertEquals(3, channel.droppedFinals(), "finals still queued at shutdown are counted too");
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
        SinkChannel channel = new SinkChannel("flaky", flaky, 8, 3, Duration.ofMillis(10), new SimpleMeterRegistry());
        channel.offer(event("a", 0, true));
        channel.close(Duration.ofSeconds(5));
        assertEquals(1, delivered.size());
        assertEquals(3, attempts.get());
        assertEquals(0, channel.droppedFinals());
    }
}
