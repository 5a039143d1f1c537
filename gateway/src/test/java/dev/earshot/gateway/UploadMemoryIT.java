package dev.earshot.gateway;

import dev.earshot.spi.audio.AudioFormat;
import dev.earshot.audio.Wav;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Twenty concurrent 44 MiB uploads (real speech, 16 kHz mono: 24 minutes each) against the packaged gateway under the
 * shipped {@code -Xmx256m -XX:+ExitOnOutOfMemoryError}: held whole, eight of them (the upload budget) would need
 * 352 MiB. The process survives, the uploads beyond the budget get 503 with Retry-After at once, the accepted ones
 * are decoded as they arrive until the transcription time limit (lowered to 15 s for the test) answers 504, and the
 * heap after GC, threads and file descriptors come back.
 */
class UploadMemoryIT {

    private static final long SIZE = 46_080_044; // 44 MiB: just under the default 50M limit

    @TempDir
    Path workDir;

    @Test
    void twentyConcurrentMaximumSizeUploadsLeaveTheProcessAliveAndTheHeapFlat() throws Exception {
        Path wav = speech(workDir.resolve("upload-44MiB.wav"));
        int port = PackagedGateway.freePort();
        Path log = workDir.resolve("gateway.log");
        PackagedGateway packaged = PackagedGateway.launch(workDir, log, port, "-Xmx256m", "-XX:+ExitOnOutOfMemoryError",
                "-Dearshot.api.transcribe-timeout=15s");
        Process gateway = packaged.process;
        try {
            assertEquals(200, packaged.awaitReady(Duration.ofSeconds(60)), "ready; log:\n" + Files.readString(log));
            ProcessFigures baseline = ProcessFigures.of(gateway);
            // Raw sockets with Connection: close, so that every connection is gone once answered (fds come back).
            ExecutorService clients = Executors.newFixedThreadPool(20);
            List<Future<String>> uploads = new ArrayList<>();
            long start = System.nanoTime();
            for (int i = 0; i < 20; i++) {
                uploads.add(clients.submit(() -> packaged.rawPost("/api/transcribe", "audio/wav", wav)));
            }
            long peakRss = 0;
            while (!uploads.stream().allMatch(Future::isDone) && gateway.isAlive()) {
                peakRss = Math.max(peakRss, ProcessFigures.rssKiB(gateway));
                Thread.sleep(500);
            }
            assertTrue(gateway.isAlive(), "the gateway survived; log:\n" + ProcessFigures.tail(log));
            Map<Integer, Integer> statuses = new TreeMap<>();
            for (Future<String> upload : uploads) {
                String response = upload.get(10, TimeUnit.SECONDS);
                int status = PackagedGateway.answerStatus(response);
                statuses.merge(status, 1, Integer::sum);
                switch (status) {
                    case 503 -> assertTrue(response.contains("\r\nRetry-After: 5\r\n"), response);
                    case 504 -> assertTrue(response.contains("did not finish within 15 s"), response);
                    default -> throw new AssertionError(response);
                }
            }
            clients.shutdown();
            assertTrue(clients.awaitTermination(10, TimeUnit.SECONDS));
            Thread.sleep(1000); // connections closed by the answers are released
            long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
            ProcessFigures after = ProcessFigures.of(gateway);
            String report = String.format("20 concurrent uploads of %d bytes, -Xmx256m, in %d s: statuses %s; heap after GC "
                            + "%d -> %d KiB; RSS %d -> peak %d -> %d KiB; threads %d -> %d; fds %d -> %d", SIZE, seconds,
                    statuses, baseline.heapKiB(), after.heapKiB(), baseline.rssKiB(), peakRss, after.rssKiB(), baseline.threads(),
                    after.threads(), baseline.fds(), after.fds());
            System.out.println(report);
            Files.writeString(Path.of("target/upload-memory.txt"), report + "\n");
            assertEquals(8, statuses.getOrDefault(504, 0), "the budget's 8 uploads were accepted: " + statuses);
            assertEquals(12, statuses.getOrDefault(503, 0), statuses.toString());
            assertTrue(after.heapKiB() < baseline.heapKiB() + 16 * 1024, "heap after GC back near the baseline: " + report);
            assertTrue(after.threads() <= baseline.threads() + 4, "threads back: " + report);
            assertTrue(after.fds() <= baseline.fds() + 4, "file descriptors back: " + report);
        } finally {
            gateway.destroy();
            if (!gateway.waitFor(30, TimeUnit.SECONDS)) {
                gateway.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    /** A 44 MiB WAV of real speech: the LibriVox clips, 16 kHz mono, one after another until the size is reached. */
    private static Path speech(Path out) throws IOException {
        List<byte[]> clips = new ArrayList<>();
        try (var files = Files.list(SpeechFixtures.LIBRIVOX)) {
            for (Path clip : files.filter(p -> p.toString().endsWith(".wav")).sorted().toList()) {
                try (InputStream in = Files.newInputStream(clip)) {
                    Wav.Header header = Wav.readHeader(in);
                    clips.add(Wav.pcm16(in, header).readAllBytes());
                }
            }
        }
        long audio = SIZE - Wav.HEADER_SIZE;
        try (OutputStream file = Files.newOutputStream(out)) {
            file.write(Wav.header(new AudioFormat(16000, 1), audio));
            long written = 0;
            for (int i = 0; written < audio; i++) {
                byte[] clip = clips.get(i % clips.size());
                int count = (int) Math.min(clip.length, audio - written);
                file.write(clip, 0, count);
                written += count;
            }
        }
        return out;
    }
}
