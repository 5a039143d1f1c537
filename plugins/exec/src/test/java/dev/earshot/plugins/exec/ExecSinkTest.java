package dev.earshot.plugins.exec;

import dev.earshot.conformance.TestPluginContext;
import dev.earshot.process.ChildProcesses;
import dev.earshot.spi.PluginException;
import dev.earshot.spi.sink.DeliveryException;
import dev.earshot.spi.sink.TranscriptSink;
import dev.earshot.spi.transcript.TranscriptEvent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The exec sink with a real Python program that records and acknowledges events. */
class ExecSinkTest {

    static final String PYTHON = "/usr/bin/python3";

    @TempDir
    Path home;

    static String script(String name) {
        return Path.of("src/test/resources/programs", name).toAbsolutePath().toString();
    }

    static TranscriptEvent event(String session, long sequence, String text) {
        return new TranscriptEvent(session + "-" + sequence, TranscriptEvent.Type.FINAL, "test", session, sequence,
                text, List.of(), List.of(), sequence * 0.5, Instant.now());
    }

    private TranscriptSink sink(Map<String, String> extra) {
        Map<String, String> options = new HashMap<>(Map.of("command", PYTHON, "args", script("ack_sink.py"),
                "env.EVENTS_FILE", home.resolve("events.jsonl").toString(), "restart-backoff-min", "100ms",
                "restart-backoff-max", "400ms"));
        options.putAll(extra);
        return new ExecSinkFactory().create(TestPluginContext.sink("alerts", options, home));
    }

    private List<String> recordedIds() throws Exception {
        Path file = home.resolve("events.jsonl");
        if (!Files.exists(file)) {
            return List.of();
        }
        return Files.readAllLines(file).stream()
                .map(line -> line.replaceAll(".*\"id\": \"([^\"]+)\".*", "$1")).collect(Collectors.toList());
    }

    @Test
    void everyEventIsDeliveredOnceInOrderWhenAcknowledged() throws Exception {
        try (TranscriptSink sink = sink(Map.of())) {
            for (int i = 1; i <= 50; i++) {
                sink.deliver(event("s1", i, "hello number " + i));
            }
        }
        List<String> ids = recordedIds();
        assertEquals(50, ids.size());
        for (int i = 1; i <= 50; i++) {
            assertEquals("s1-" + i, ids.get(i - 1));
        }
        assertEquals(0, ChildProcesses.live(), "the program was stopped on close");
    }

    @Test
    void aRejectionIsPermanentAndNamesTheReason() throws Exception {
        try (TranscriptSink sink = sink(Map.of("env.REJECT_WORD", "secret"))) {
            sink.deliver(event("s1", 1, "fine"));
            DeliveryException e = assertThrows(DeliveryException.class, () -> sink.deliver(event("s1", 2, "a secret")));
            assertFalse(e.retryable());
            assertTrue(e.getMessage().contains("rejected event s1-2: the text contains secret"), e.getMessage());
            sink.deliver(event("s1", 3, "fine again"));
        }
    }

    @Test
    void noAcknowledgementFailsTheDeliveryAsRetryable() throws Exception {
        try (TranscriptSink sink = sink(Map.of("env.NEVER_ACK", "1", "ack-timeout", "300ms"))) {
            DeliveryException e = assertThrows(DeliveryException.class, () -> sink.deliver(event("s1", 1, "hello")));
            assertTrue(e.retryable());
            assertTrue(e.getMessage().contains("no 'ack s1-1'") && e.getMessage().contains("ack-timeout"), e.getMessage());
        }
    }

    @Test
    void aKilledProgramIsRestartedAfterTheBackoffAndTheEventRetried() throws Exception {
        try (TranscriptSink sink = sink(Map.of())) {
            ExecSink exec = (ExecSink) sink;
            sink.deliver(event("s1", 1, "one"));
            long pid = exec.pid();
            ProcessHandle.of(pid).orElseThrow().destroyForcibly();
            ProcessHandle.of(pid).ifPresent(p -> p.onExit().join());
            int failures = 0;
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (true) {
                try {
                    sink.deliver(event("s1", 2, "two"));
                    break;
                } catch (DeliveryException e) {
                    assertTrue(e.retryable(), e.getMessage());
                    failures++;
                    assertTrue(System.nanoTime() < deadline, "not restarted: " + e.getMessage());
                    Thread.sleep(50);
                }
            }
            assertTrue(failures >= 1, "the dead program failed the delivery at least once");
            assertEquals(1, exec.restarts());
            assertTrue(exec.pid() > 0 && exec.pid() != pid);
        }
        assertEquals(List.of("s1-1", "s1-2"), recordedIds());
    }

    @Test
    void badOptionsNameTheKey() {
        PluginException missing = assertThrows(PluginException.class,
                () -> new ExecSinkFactory().create(TestPluginContext.sink("alerts", Map.of(), home)));
        assertTrue(missing.getMessage().contains("earshot.sinks.alerts.command"), missing.getMessage());
        PluginException backoff = assertThrows(PluginException.class, () -> sink(Map.of("restart-backoff-min", "2s",
                "restart-backoff-max", "1s")));
        assertTrue(backoff.getMessage().contains("restart-backoff-max"), backoff.getMessage());
    }

    @Test
    void aProgramThatCannotStartFailsTheDeliveryClearly() throws Exception {
        try (TranscriptSink sink = new ExecSinkFactory().create(TestPluginContext.sink("alerts",
                Map.of("command", "/nonexistent/program"), home))) {
            DeliveryException e = assertThrows(DeliveryException.class, () -> sink.deliver(event("s1", 1, "x")));
            assertTrue(e.retryable());
            assertTrue(e.getMessage().contains("cannot start command '/nonexistent/program'"), e.getMessage());
        }
    }
}
