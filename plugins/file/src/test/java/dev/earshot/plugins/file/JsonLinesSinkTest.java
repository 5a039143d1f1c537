package dev.earshot.plugins.file;

import dev.earshot.json.TranscriptJson;
import dev.earshot.conformance.TestPluginContext;
import dev.earshot.spi.PluginException;
import dev.earshot.spi.sink.TranscriptSink;
import dev.earshot.spi.transcript.TranscriptEvent;
import dev.earshot.spi.transcript.Word;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JsonLinesSinkTest {

    private static final Instant T0 = Instant.parse("2024-05-01T10:00:00Z");

    @TempDir
    Path home;

    @Test
    void writesOneJsonLinePerEvent() throws Exception {
        Path file = home.resolve("t.jsonl");
        TranscriptEvent goForward = new TranscriptEvent("s1-4", TranscriptEvent.Type.FINAL, "default", "s1", 4,
                "go forward", List.of(new Word("go", 0.51, 0.72, 1.0), new Word("forward", 0.72, 1.3, 0.98)),
                List.of(), 1.9, T0);
        TranscriptEvent cafe = event(5, "café \"au lait\" ☕");
        try (TranscriptSink sink = create(Map.of("path", file.toString()))) {
            sink.deliver(goForward);
            sink.deliver(cafe);
            // delivered means written to the file: readable before close
            assertEquals(2, Files.readAllLines(file).size());
        }
        String expected = "{\"id\":\"s1-4\",\"type\":\"final\",\"pipeline\":\"default\",\"session\":\"s1\",\"sequence\":4,"
                + "\"text\":\"go forward\",\"result\":[{\"word\":\"go\",\"start\":0.51,\"end\":0.72,\"conf\":1.0},"
                + "{\"word\":\"forward\",\"start\":0.72,\"end\":1.3,\"conf\":0.98}],\"audioEnd\":1.9,"
                + "\"timestamp\":\"2024-05-01T10:00:00Z\"}\n"
                + "{\"id\":\"s1-5\",\"type\":\"final\",\"pipeline\":\"default\",\"session\":\"s1\",\"sequence\":5,"
                + "\"text\":\"café \\\"au lait\\\" ☕\",\"audioEnd\":5.0,\"timestamp\":\"2024-05-01T10:00:05Z\"}\n";
        assertEquals(expected, Files.readString(file, StandardCharsets.UTF_8));
        assertEquals(List.of(TranscriptJson.toJson(goForward), TranscriptJson.toJson(cafe)), Files.readAllLines(file, StandardCharsets.UTF_8));
    }

    @Test
    void rotatesWithoutLosingOrRepeatingEvents() throws Exception {
        Path file = home.resolve("rotating.jsonl");
        List<String> lines = new ArrayList<>();
        try (TranscriptSink sink = create(Map.of("path", file.toString(), "max-bytes", "1K", "max-files", "100"))) {
            for (int i = 0; i < 60; i++) {
                TranscriptEvent event = event(i, "word ".repeat(i % 7 + 1) + i);
                sink.deliver(event);
                lines.add(TranscriptJson.toJson(event));
            }
        }
        int files = expectedFiles(lines, 1024);
        assertTrue(files > 5, "the test should rotate a few times: " + files);
        assertFalse(Files.exists(rotated(file, files)));
        assertEquals(lines, readOldestFirst(file, files - 1));
        for (int i = 1; i < files; i++) {
            assertTrue(Files.size(rotated(file, i)) <= 1024);
        }
        assertTrue(Files.size(file) <= 1024);
    }

    /** logrotate's default (move the file away, or delete it): the next line starts a new file at the path. */
    @Test
    void aFileMovedOrDeletedByAnotherToolIsReplacedByANewOneAtTheNextLine() throws Exception {
        Path file = home.resolve("rotated-outside.jsonl");
        Path moved = home.resolve("rotated-outside.jsonl-20261121");
        try (TranscriptSink sink = create(Map.of("path", file.toString()))) {
            sink.deliver(event(1, "before the move"));
            Files.move(file, moved);
            sink.deliver(event(2, "after the move"));
            assertEquals(List.of(TranscriptJson.toJson(event(1, "before the move"))), Files.readAllLines(moved));
            assertEquals(List.of(TranscriptJson.toJson(event(2, "after the move"))), Files.readAllLines(file));

            Files.delete(file);
            sink.deliver(event(3, "after the delete"));
            assertEquals(List.of(TranscriptJson.toJson(event(3, "after the delete"))), Files.readAllLines(file));

            // copytruncate: same file, emptied; the next line goes to its start
            Files.write(file, new byte[0], java.nio.file.StandardOpenOption.TRUNCATE_EXISTING);
            sink.deliver(event(4, "after the truncation"));
            assertEquals(List.of(TranscriptJson.toJson(event(4, "after the truncation"))), Files.readAllLines(file));
        }
        assertEquals(List.of(TranscriptJson.toJson(event(1, "before the move"))), Files.readAllLines(moved), "the moved file untouched");
    }

    @Test
    void keepsOnlyMaxFilesRotatedFiles() throws Exception {
        Path file = home.resolve("bounded.jsonl");
        List<String> lines = new ArrayList<>();
        try (TranscriptSink sink = create(Map.of("path", file.toString(), "max-bytes", "1K", "max-files", "2"))) {
            for (int i = 0; i < 60; i++) {
                TranscriptEvent event = event(i, "word ".repeat(i % 7 + 1) + i);
                sink.deliver(event);
                lines.add(TranscriptJson.toJson(event));
            }
        }
        assertTrue(Files.exists(rotated(file, 2)));
        assertFalse(Files.exists(rotated(file, 3)));
        List<String> kept = readOldestFirst(file, 2);
        assertEquals(lines.subList(lines.size() - kept.size(), lines.size()), kept, "the newest events, in order");
        assertTrue(kept.size() < lines.size());
    }

    @Test
    void maxFilesZeroKeepsOnlyTheCurrentFile() throws Exception {
        Path file = home.resolve("current-only.jsonl");
        List<String> lines = new ArrayList<>();
        try (TranscriptSink sink = create(Map.of("path", file.toString(), "max-bytes", "1K", "max-files", "0"))) {
            for (int i = 0; i < 30; i++) {
                TranscriptEvent event = event(i, "word ".repeat(i % 7 + 1) + i);
                sink.deliver(event);
                lines.add(TranscriptJson.toJson(event));
            }
        }
        assertFalse(Files.exists(rotated(file, 1)));
        List<String> kept = Files.readAllLines(file);
        assertFalse(kept.isEmpty());
        assertEquals(lines.subList(lines.size() - kept.size(), lines.size()), kept);
        assertTrue(Files.size(file) <= 1024);
    }

    @Test
    void aLineLargerThanMaxBytesGetsAFileOfItsOwn() throws Exception {
        Path file = home.resolve("big.jsonl");
        TranscriptEvent small = event(0, "hi");
        TranscriptEvent big = event(1, "x".repeat(600));
        try (TranscriptSink sink = create(Map.of("path", file.toString(), "max-bytes", "512"))) {
            sink.deliver(small);
            sink.deliver(big);
            sink.deliver(small);
        }
        assertEquals(List.of(TranscriptJson.toJson(small)), Files.readAllLines(rotated(file, 2)));
        assertEquals(List.of(TranscriptJson.toJson(big)), Files.readAllLines(rotated(file, 1)));
        assertEquals(List.of(TranscriptJson.toJson(small)), Files.readAllLines(file));
    }

    @Test
    void reopeningAppendsAndCountsTheExistingSize() throws Exception {
        Path file = home.resolve("history.jsonl");
        try (TranscriptSink sink = create(Map.of("path", file.toString()))) {
            sink.deliver(event(0, "one"));
            sink.deliver(event(1, "two"));
        }
        try (TranscriptSink sink = create(Map.of("path", file.toString()))) {
            sink.deliver(event(2, "three"));
        }
        assertEquals(List.of(TranscriptJson.toJson(event(0, "one")), TranscriptJson.toJson(event(1, "two")), TranscriptJson.toJson(event(2, "three"))),
                Files.readAllLines(file));

        long size = Files.size(file);
        try (TranscriptSink sink = create(Map.of("path", file.toString(), "max-bytes", String.valueOf(size + 10)))) {
            sink.deliver(event(3, "four"));
        }
        assertEquals(3, Files.readAllLines(rotated(file, 1)).size(), "the existing content counts toward max-bytes");
        assertEquals(List.of(TranscriptJson.toJson(event(3, "four"))), Files.readAllLines(file));
    }

    @Test
    void partialsAreWrittenOnlyWhenAskedFor() throws Exception {
        Path finalsOnly = home.resolve("finals.jsonl");
        TranscriptEvent partial = new TranscriptEvent("s1-0", TranscriptEvent.Type.PARTIAL, "default", "s1", 0, "go",
                List.of(), List.of(), 0.5, T0);
        TranscriptEvent fin = event(1, "go forward");
        try (TranscriptSink sink = create(Map.of("path", finalsOnly.toString()))) {
            assertFalse(sink.acceptsPartials());
            sink.deliver(partial);
            sink.deliver(fin);
        }
        assertEquals(List.of(TranscriptJson.toJson(fin)), Files.readAllLines(finalsOnly));

        Path all = home.resolve("all.jsonl");
        try (TranscriptSink sink = create(Map.of("path", all.toString(), "partials", "true"))) {
            assertTrue(sink.acceptsPartials());
            sink.deliver(partial);
            sink.deliver(fin);
        }
        assertEquals(List.of(TranscriptJson.toJson(partial), TranscriptJson.toJson(fin)), Files.readAllLines(all));
    }

    @Test
    void createsParentFoldersAndResolvesRelativePaths() throws Exception {
        try (TranscriptSink sink = create(Map.of("path", "a/b/c/t.jsonl"))) {
            sink.deliver(event(0, "deep"));
        }
        assertEquals(1, Files.readAllLines(home.resolve("a/b/c/t.jsonl")).size());
    }

    @Test
    void closeIsIdempotentAndFinal() throws Exception {
        TranscriptSink sink = create(Map.of("path", home.resolve("c.jsonl").toString()));
        sink.close();
        sink.close();
        assertThrows(IllegalStateException.class, () -> sink.deliver(event(0, "late")));
    }

    @Test
    void badOptionsNameTheFullKey() throws IOException {
        assertInvalid("earshot.sinks.out.path is required", Map.of());
        assertInvalid("earshot.sinks.out.max-bytes: 'lots' is not valid", Map.of("path", "x.jsonl", "max-bytes", "lots"));
        assertInvalid("earshot.sinks.out.max-files: '-1' is not valid", Map.of("path", "x.jsonl", "max-files", "-1"));
        assertInvalid("earshot.sinks.out.partials: 'sometimes' is not valid", Map.of("path", "x.jsonl", "partials", "sometimes"));
        assertInvalid("earshot.sinks.out.path: " + home + " is a folder", Map.of("path", home.toString()));
        Files.writeString(home.resolve("plain-file"), "");
        assertInvalid("earshot.sinks.out.path: cannot create folder " + home.resolve("plain-file"),
                Map.of("path", "plain-file/t.jsonl"));
    }

    @Test
    void readsEveryOption() {
        TestPluginContext context = TestPluginContext.sink("out", Map.of("path", "o.jsonl", "max-bytes", "1M",
                "max-files", "3", "partials", "false"), home).withOptions(new JsonLinesSinkFactory().options());
        new JsonLinesSinkFactory().create(context);
        assertTrue(context.config().unreadKeys().isEmpty(), context.config().unreadKeys().toString());
        assertTrue(context.config().undeclaredReads().isEmpty(), "undeclared: " + context.config().undeclaredReads());
    }

    // ---------------------------------------------------------------- helpers

    private TranscriptSink create(Map<String, String> options) {
        return new JsonLinesSinkFactory().create(TestPluginContext.sink("out", options, home));
    }

    private void assertInvalid(String messageStart, Map<String, String> options) {
        PluginException e = assertThrows(PluginException.class, () -> create(options));
        assertTrue(e.getMessage().startsWith(messageStart), e.getMessage());
    }

    private static TranscriptEvent event(long sequence, String text) {
        return new TranscriptEvent("s1-" + sequence, TranscriptEvent.Type.FINAL, "default", "s1", sequence, text,
                List.of(), List.of(), sequence, T0.plusSeconds(sequence));
    }

    private static Path rotated(Path file, int index) {
        return file.resolveSibling(file.getFileName() + "." + index);
    }

    /** The lines of {@code <file>.<oldest>} ... {@code <file>.1}, then {@code <file>}. */
    private static List<String> readOldestFirst(Path file, int oldest) throws IOException {
        List<String> lines = new ArrayList<>();
        for (int i = oldest; i >= 1; i--) {
            lines.addAll(Files.readAllLines(rotated(file, i)));
        }
        lines.addAll(Files.readAllLines(file));
        return lines;
    }

    /** How many files the rotation rule makes of these lines, when none is dropped. */
    private static int expectedFiles(List<String> lines, long maxBytes) {
        int files = 1;
        long size = 0;
        for (String line : lines) {
            long length = line.getBytes(StandardCharsets.UTF_8).length + 1;
            if (size > 0 && size + length > maxBytes) {
                files++;
                size = 0;
            }
            size += length;
        }
        return files;
    }
}
