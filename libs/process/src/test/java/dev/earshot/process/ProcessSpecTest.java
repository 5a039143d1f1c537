package dev.earshot.process;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.ResourceBundle;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProcessSpecTest {

    @Test
    void linesAreCutAtTheLimitAndTheRestOfTheLineSkipped() throws Exception {
        String text = "short\r\n" + "x".repeat(10_000) + "\nnext\nlast";
        BoundedLineReader reader = new BoundedLineReader(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), 16);
        assertEquals("short", reader.readLine());
        assertFalse(reader.lastTruncated());
        assertEquals("x".repeat(16), reader.readLine());
        assertTrue(reader.lastTruncated());
        assertEquals("next", reader.readLine());
        assertEquals("last", reader.readLine());
        assertNull(reader.readLine());
    }

    @Test
    void backoffDoublesUpToTheMaximumAndResetsAfterAHealthyRun() {
        Backoff backoff = new Backoff(Duration.ofMillis(100), Duration.ofMillis(350), Duration.ofSeconds(1));
        long ms = TimeUnit.MILLISECONDS.toNanos(1);
        assertEquals(100 * ms, backoff.afterRun(0));
        assertEquals(200 * ms, backoff.afterRun(0));
        assertEquals(350 * ms, backoff.afterRun(0));
        assertEquals(350 * ms, backoff.afterRun(0));
        assertEquals(100 * ms, backoff.afterRun(TimeUnit.SECONDS.toNanos(2)));
    }

    @Test
    void stderrLinesGoToTheLogAndCloseKillsTheWholeTree() throws Exception {
        List<String> logged = new CopyOnWriteArrayList<>();
        // A shell that logs two lines (one too long) and starts a grandchild that would outlive it.
        ProcessSpec spec = new ProcessSpec(List.of("/bin/sh", "-c",
                "echo hello >&2; printf '%0300d\\n' 0 >&2; sleep 60 & sleep 60"), Map.of(), null, logger(logged), "test", 64);
        Process process = spec.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (logged.size() < 2 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals("test (pid " + process.pid() + "): hello", logged.get(0));
        assertTrue(logged.get(1).endsWith("0".repeat(64) + " [line cut at 64 bytes]"), logged.get(1));
        while (process.descendants().findAny().isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        List<ProcessHandle> tree = process.descendants().toList();
        assertFalse(tree.isEmpty(), "the sleeps started");
        ChildProcesses.kill(process, 2000);
        assertFalse(process.isAlive());
        for (ProcessHandle child : tree) {
            child.onExit().get(5, TimeUnit.SECONDS);
            assertFalse(child.isAlive(), "descendant " + child.pid() + " killed");
        }
        assertEquals(0, ChildProcesses.live());
        assertEquals("exited with code 137 (signal 9)", ProcessSpec.exitText(137));
    }

    private static System.Logger logger(List<String> lines) {
        return new System.Logger() {
            @Override
            public String getName() {
                return "test";
            }

            @Override
            public boolean isLoggable(Level level) {
                return true;
            }

            @Override
            public void log(Level level, ResourceBundle bundle, String message, Throwable thrown) {
                lines.add(message);
            }

            @Override
            public void log(Level level, ResourceBundle bundle, String format, Object... params) {
                lines.add(format);
            }
        };
    }
}
