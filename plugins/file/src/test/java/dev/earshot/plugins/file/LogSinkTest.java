package dev.earshot.plugins.file;

import dev.earshot.conformance.TestPluginContext;
import dev.earshot.spi.sink.TranscriptSink;
import dev.earshot.spi.transcript.TranscriptEvent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LogSinkTest {

    @TempDir
    Path home;

    private static final TranscriptEvent PARTIAL = new TranscriptEvent("s1-0", TranscriptEvent.Type.PARTIAL,
            "kitchen", "s1", 0, "go", List.of(), List.of(), 0.5, Instant.EPOCH);
    private static final TranscriptEvent FINAL = new TranscriptEvent("s1-1", TranscriptEvent.Type.FINAL,
            "kitchen", "s1", 1, "go {0} forward", List.of(), List.of(), 1.2, Instant.EPOCH);

    @Test
    void logsFinalsAtInfo() throws Exception {
        TestPluginContext context = TestPluginContext.sink("console", Map.of(), home);
        try (TranscriptSink sink = new LogSinkFactory().create(context)) {
            assertFalse(sink.acceptsPartials());
            sink.deliver(PARTIAL);
            sink.deliver(FINAL);
        }
        assertEquals(List.of(new TestPluginContext.RecordingLogger.Entry(System.Logger.Level.INFO, "[kitchen/s1] final: go {0} forward", null)),
                context.logger().entries());
    }

    @Test
    void logsPartialsWhenAskedFor() throws Exception {
        TestPluginContext context = TestPluginContext.sink("console", Map.of("partials", "true"), home);
        try (TranscriptSink sink = new LogSinkFactory().create(context)) {
            assertTrue(sink.acceptsPartials());
            sink.deliver(PARTIAL);
            sink.deliver(FINAL);
        }
        assertEquals(List.of("[kitchen/s1] partial: go", "[kitchen/s1] final: go {0} forward"),
                context.logger().entries().stream().map(TestPluginContext.RecordingLogger.Entry::message).toList());
        assertTrue(context.config().unreadKeys().isEmpty());
    }
}
