package dev.earshot.plugins.exec;

import dev.earshot.conformance.RecordingSourceContext;
import dev.earshot.conformance.TestPluginContext;
import dev.earshot.process.ChildProcesses;
import dev.earshot.spi.audio.AudioFormat;
import dev.earshot.audio.Wav;
import dev.earshot.spi.source.CaptureSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The exec source with real programs: sox writing a LibriVox clip as raw PCM and as WAV, and one that exits at once. */
class ExecSourceTest {

    static final Path CLIP = Path.of("/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0880.wav");

    @TempDir
    Path home;

    private CaptureSource source(Map<String, String> options) {
        Map<String, String> all = new HashMap<>(Map.of("restart-backoff-min", "100ms", "restart-backoff-max", "400ms"));
        all.putAll(options);
        return new ExecSourceFactory().create(TestPluginContext.source("speech", all, home));
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting for " + what);
            Thread.sleep(20);
        }
    }

    private long clipBytes() throws Exception {
        return Wav.parse(Files.readAllBytes(CLIP)).dataLength();
    }

    @Test
    void soxWritingRawPcmIsOneSessionWithEveryByte() throws Exception {
        RecordingSourceContext context = new RecordingSourceContext(100_000);
        long expected = clipBytes();
        try (CaptureSource source = source(Map.of("command", "sox", "args", CLIP + " -t raw -r 16000 -e signed -b 16 -c 1 -",
                "format", "raw", "restart", "never"))) {
            source.start(context);
            await(() -> !context.sessions().isEmpty() && context.sessions().get(0).consumedBytes() == expected, "all audio");
            Thread.sleep(300);
            assertEquals(1, context.sessions().size(), "one run, one session, not restarted");
            assertEquals(AudioFormat.SPEECH_16K, context.sessions().get(0).format());
        }
        assertEquals(0, ChildProcesses.live());
    }

    @Test
    void soxWritingWavIsReadThroughItsHeader() throws Exception {
        RecordingSourceContext context = new RecordingSourceContext(100_000);
        long expected = clipBytes();
        // 8 kHz WAV: the format comes from the header (format=auto), not from sample-rate.
        try (CaptureSource source = source(Map.of("command", "sox", "args", CLIP + " -t wav -r 8000 -",
                "restart", "on-failure"))) {
            source.start(context);
            await(() -> !context.sessions().isEmpty() && context.sessions().get(0).consumedBytes() >= expected / 2 - 64,
                    "all audio");
            Thread.sleep(300);
            assertEquals(1, context.sessions().size(), "a run that succeeded is not restarted with restart=on-failure");
            assertEquals(new AudioFormat(8000, 1), context.sessions().get(0).format());
            long bytes = context.sessions().get(0).consumedBytes();
            assertTrue(Math.abs(bytes - expected / 2) <= 64, bytes + " bytes of 8 kHz audio for " + expected + " at 16 kHz");
        }
    }

    @Test
    void aProgramThatExitsAtOnceIsRestartedWithBackoff() throws Exception {
        RecordingSourceContext context = new RecordingSourceContext(16);
        long startNanos = System.nanoTime();
        try (CaptureSource source = source(Map.of("command", "/bin/false"))) {
            ExecSource exec = (ExecSource) source;
            source.start(context);
            await(() -> exec.runs() >= 4, "four runs");
            long elapsedMillis = (System.nanoTime() - startNanos) / 1_000_000;
            // Waits of 100 + 200 + 400 ms between the four runs: the back-off holds restarts apart.
            assertTrue(elapsedMillis >= 700, "four runs after " + elapsedMillis + " ms");
            assertTrue(context.sessions().size() >= 3, "each run opened a session: " + context.sessions().size());
            context.sessions().forEach(session -> assertEquals(0, session.consumedBytes()));
        }
    }
}
