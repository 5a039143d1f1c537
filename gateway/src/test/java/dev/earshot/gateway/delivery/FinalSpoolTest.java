package dev.earshot.gateway.delivery;

import dev.earshot.spi.transcript.Alternative;
import dev.earshot.spi.transcript.TranscriptEvent;
import dev.earshot.spi.transcript.Word;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FinalSpoolTest {

    @TempDir
    Path data;

    private final List<String> drops = new ArrayList<>();

    private FinalSpool open(long maxBytes, FinalSpool.FullPolicy policy) {
        return new FinalSpool("t", new FinalSpool.Settings(data.resolve("spool/t"), maxBytes, policy),
                (id, why) -> drops.add(id + ": " + why));
    }

    private static TranscriptEvent fin(int n) {
        return new TranscriptEvent("s-" + n, TranscriptEvent.Type.FINAL, "p", "s", n, "words \"quoted\" " + n + " \u00e9",
                List.of(new Word("words", 0.5, 0.75, 0.9)), List.of(new Alternative("alt " + n, 12.5, List.of())),
                1.5 + n, Instant.parse("2026-01-02T03:04:05.678Z"));
    }

    private static List<String> drain(FinalSpool spool, int max) {
        List<String> ids = new ArrayList<>();
        FinalSpool.Entry entry;
        while (ids.size() < max && (entry = spool.peek()) != null) {
            ids.add(entry.event().id());
            spool.commit(entry);
        }
        return ids;
    }

    @Test
    void eventsComeBackEqualAndInOrderAcrossReopenAndSegments() throws Exception {
        FinalSpool spool = open(1024 * 1024, FinalSpool.FullPolicy.REFUSE);
        assertFalse(Files.exists(data.resolve("spool/t")), "no folder before the first write");
        for (int i = 0; i < 300; i++) {
            assertTrue(spool.append(List.of(fin(i))));
        }
        FinalSpool.Entry first = spool.peek();
        assertEquals(fin(0), first.event(), "the JSON form reads back into an equal event");
        assertEquals(drain(spool, 100).size(), 100);
        long bytes = spool.bytes();
        spool.close();

        FinalSpool again = open(1024 * 1024, FinalSpool.FullPolicy.REFUSE);
        assertEquals(200, again.events());
        assertEquals(bytes, again.bytes());
        again.pushFront(List.of(fin(1000), fin(1001)));
        assertTrue(again.append(List.of(fin(300))));
        List<String> rest = drain(again, 1000);
        List<String> expected = new ArrayList<>(List.of("s-1000", "s-1001"));
        for (int i = 100; i <= 300; i++) {
            expected.add("s-" + i);
        }
        assertEquals(expected, rest);
        assertEquals(0, again.bytes());
        assertTrue(again.isEmpty());
        again.close();
        try (Stream<Path> left = Files.list(data.resolve("spool/t"))) {
            assertEquals(List.of(), left.toList(), "an emptied spool leaves no files");
        }
    }

    @Test
    void aPushedFrontSegmentAndAPartlyReadOneBothResumeAfterReopen() {
        FinalSpool spool = open(64 * 1024, FinalSpool.FullPolicy.REFUSE);
        spool.append(List.of(fin(1), fin(2), fin(3)));
        assertEquals(List.of("s-1"), drain(spool, 1));
        spool.pushFront(List.of(fin(0)));
        spool.close();
        FinalSpool again = open(64 * 1024, FinalSpool.FullPolicy.REFUSE);
        assertEquals(List.of("s-0", "s-2", "s-3"), drain(again, 10));
        again.close();
    }

    @Test
    void aLineCutShortByACrashIsCutOffAndABadLineIsReportedAndSkipped() throws Exception {
        FinalSpool spool = open(64 * 1024, FinalSpool.FullPolicy.REFUSE);
        spool.append(List.of(fin(1), fin(2)));
        spool.close();
        Path segment;
        try (Stream<Path> files = Files.list(data.resolve("spool/t"))) {
            segment = files.filter(p -> p.toString().endsWith(".jsonl")).findFirst().orElseThrow();
        }
        Files.writeString(segment, "{\"id\":\"broken\"}\n{\"id\":\"s-3\",\"type\":\"fin", StandardCharsets.UTF_8,
                StandardOpenOption.APPEND);
        FinalSpool again = open(64 * 1024, FinalSpool.FullPolicy.REFUSE);
        assertEquals(3, again.events(), "two events and one bad line; the torn line is gone");
        assertEquals(List.of("s-1", "s-2"), drain(again, 10));
        assertEquals(1, drops.size(), drops.toString());
        assertTrue(drops.get(0).contains("broken"), drops.toString());
        assertTrue(again.isEmpty());
        again.close();
    }

    @Test
    void refuseKeepsTheBoundAndSaysWhenToRefuseSessions() {
        FinalSpool spool = open(64 * 1024, FinalSpool.FullPolicy.REFUSE);
        int stored = 0;
        while (spool.append(List.of(fin(stored)))) {
            stored++;
            assertTrue(spool.bytes() <= 64 * 1024);
        }
        assertTrue(spool.refusing());
        assertTrue(spool.bytes() > 64 * 1024 * 0.9);
        assertEquals(stored, spool.events());
        assertEquals(stored / 2, drain(spool, stored / 2).size());
        assertFalse(spool.refusing(), "half read: accepting sessions again");
        assertTrue(drops.isEmpty());
        spool.close();
    }

    @Test
    void dropOldestMakesRoomAndReportsEachDroppedFinal() {
        FinalSpool spool = open(64 * 1024, FinalSpool.FullPolicy.DROP_OLDEST);
        for (int i = 0; i < 2000; i++) {
            assertTrue(spool.append(List.of(fin(i))));
            assertTrue(spool.bytes() <= 64 * 1024);
        }
        assertFalse(spool.refusing());
        long kept = spool.events();
        assertEquals(2000 - kept, drops.size());
        assertTrue(drops.get(0).startsWith("s-0: "), drops.get(0));
        List<String> ids = drain(spool, 5000);
        assertEquals("s-" + (2000 - kept), ids.get(0), "the newest are kept");
        assertEquals("s-1999", ids.get(ids.size() - 1));
        assertNull(spool.peek());
        spool.close();
    }
}
