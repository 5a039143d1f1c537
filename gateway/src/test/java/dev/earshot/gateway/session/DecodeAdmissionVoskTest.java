package dev.earshot.gateway.session;

import dev.earshot.gateway.SpeechFixtures;
import dev.earshot.gateway.pipeline.Pipeline;
import dev.earshot.gateway.plugin.ComponentKind;
import dev.earshot.gateway.plugin.PluginRegistry;
import dev.earshot.gateway.runtime.GatewayRuntime;
import dev.earshot.gateway.settings.AdmissionSettings;
import dev.earshot.gateway.settings.PipelineSettings;
import dev.earshot.gateway.settings.RuntimeSettings;
import dev.earshot.gateway.speech.SpeechGateMode;
import dev.earshot.spi.audio.AudioFormat;
import dev.earshot.spi.audio.AudioFrame;
import dev.earshot.spi.source.Pacing;
import dev.earshot.spi.source.SessionOutcome;
import dev.earshot.spi.transcript.TranscriptEvent;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.sound.sampled.AudioInputStream;
import javax.sound.sampled.AudioSystem;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Admission with the real Vosk engine on one decoding thread, of which live sessions may need 40%
 * ({@code earshot.admission.max-load=0.4}): LibriVox speech streams open one a second, each sent in real time, until
 * admission refuses one. However dear Vosk is on the machine at the time, the ones admitted keep up (their finals
 * come right after their last audio) and their transcripts match the reference text; once they ended, a new one is
 * admitted again.
 */
class DecodeAdmissionVoskTest {

    private static final int FRAME_BYTES = 3200; // 100 ms of 16 kHz 16-bit mono

    @TempDir
    Path data;

    @Test
    void sessionsOpenUntilDecodingIsAtCapacityAndTheAdmittedOnesKeepUpWithTheRightText() throws Exception {
        List<Map.Entry<String, String>> clips = new ArrayList<>(SpeechFixtures.librivoxReferences().entrySet());
        byte[] pcm = new byte[0];
        StringBuilder reference = new StringBuilder();
        for (Map.Entry<String, String> clip : clips.subList(0, 2)) {
            pcm = concat(pcm, pcm(SpeechFixtures.LIBRIVOX.resolve(clip.getKey())));
            reference.append(reference.isEmpty() ? "" : " ").append(clip.getValue());
        }
        byte[] speech = pcm;
        Path home = SpeechFixtures.MODEL.getParent().getParent();
        PipelineSettings pipeline = new PipelineSettings("p", true, Optional.empty(), "vosk", List.of(), List.of(), 50, 16,
                SpeechGateMode.OFF);
        RuntimeSettings settings = new RuntimeSettings(home, data, Map.of("p", pipeline),
                Map.of(ComponentKind.ENGINE, Map.of()), Map.of(), 1, Duration.ofSeconds(2), Duration.ofSeconds(10), 16,
                new AdmissionSettings(true, 0.4, Duration.ofSeconds(2)));
        Vertx vertx = Vertx.vertx();
        GatewayRuntime runtime = new GatewayRuntime(vertx, new SimpleMeterRegistry(), settings,
                PluginRegistry.load(getClass().getClassLoader()));
        try {
            runtime.start();
            Pipeline p = runtime.pipeline("p").orElseThrow();
            List<CompletableFuture<Streamed>> admitted = new ArrayList<>();
            SessionRefusedException refused = null;
            for (int i = 0; i < 10 && refused == null; i++) {
                try {
                    admitted.add(stream(p, "vosk:client-" + i, speech));
                } catch (SessionRefusedException e) {
                    refused = e;
                }
                Thread.sleep(1000);
            }
            assertTrue(refused != null, "one of ten streams opened a second apart was refused");
            System.out.printf("admission with Vosk: %d streams admitted, then: %s%n", admitted.size(), refused.getMessage());
            assertTrue(admitted.size() >= 1, "the first stream is admitted");
            assertTrue(refused.retryable() && refused.getMessage().startsWith("decoding is at capacity: "), refused.getMessage());
            assertEquals(SessionRefusedException.DECODE_LOAD, refused.reason());

            SpeechFixtures.WerTally tally = new SpeechFixtures.WerTally("transcripts of the admitted streams");
            int n = 0;
            for (CompletableFuture<Streamed> future : admitted) {
                Streamed streamed = future.get(60, TimeUnit.SECONDS);
                tally.add("stream " + n++, reference.toString(), streamed.text());
                assertTrue(streamed.closedAfterLastFrame().toMillis() < 2000, "kept up: ended "
                        + streamed.closedAfterLastFrame().toMillis() + " ms after its last audio");
                System.out.printf("admission with Vosk: stream ended %d ms after its last audio%n",
                        streamed.closedAfterLastFrame().toMillis());
            }
            System.out.print(tally.report("LibriVox, admitted real-time streams"));
            assertTrue(tally.wer() <= 15.0, "WER " + tally.wer() + "%");

            // All ended: nothing is left of the load, and a new stream is admitted.
            for (long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                 runtime.admission().load() > 0 && System.nanoTime() < deadline; ) {
                Thread.sleep(50);
            }
            assertEquals(0.0, runtime.admission().load(), "load after every stream ended");
            Streamed again = stream(p, "vosk:again", pcm(SpeechFixtures.LIBRIVOX.resolve(clips.get(0).getKey())))
                    .get(60, TimeUnit.SECONDS);
            assertTrue(SpeechFixtures.wordErrors(clips.get(0).getValue(), again.text()) <= 2, again.text());
        } finally {
            runtime.stop();
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    /** What one stream heard: its finals, and when it closed relative to its last frame. */
    record Streamed(String text, Duration closedAfterLastFrame) {
    }

    /** Opens a session (throws when refused) and streams the PCM into it in real time on a thread of its own. */
    private static CompletableFuture<Streamed> stream(Pipeline pipeline, String origin, byte[] pcm) {
        List<String> finals = new CopyOnWriteArrayList<>();
        CompletableFuture<Long> closedAt = new CompletableFuture<>();
        Session session = pipeline.openSession(new SessionRequest(origin, AudioFormat.SPEECH_16K, Pacing.PACED, Map.of(),
                true, 0, List.of(), new SessionListener() {
            @Override
            public void onTranscript(TranscriptEvent event) {
                if (event.isFinal()) {
                    finals.add(event.text());
                }
            }

            @Override
            public void onClosed(SessionOutcome reason) {
                closedAt.complete(System.nanoTime());
            }
        }, null));
        return CompletableFuture.supplyAsync(() -> {
            try {
                long start = System.nanoTime();
                int index = 0;
                for (int offset = 0; offset < pcm.length; offset += FRAME_BYTES, index++) {
                    long wait = start + index * 100_000_000L - System.nanoTime();
                    if (wait > 0) {
                        LockSupport.parkNanos(wait);
                    }
                    session.put(AudioFrame.copyOf(AudioFormat.SPEECH_16K, pcm, offset,
                            Math.min(FRAME_BYTES, pcm.length - offset), index, Instant.now()));
                }
                long last = System.nanoTime();
                session.end();
                long closed = closedAt.get(60, TimeUnit.SECONDS);
                return new Streamed(String.join(" ", finals), Duration.ofNanos(closed - last));
            } catch (Exception e) {
                throw new IllegalStateException(origin, e);
            }
        }, runnable -> {
            Thread thread = new Thread(runnable, "test-stream-" + origin);
            thread.setDaemon(true);
            thread.start();
        });
    }

    private static byte[] pcm(Path wav) throws Exception {
        try (AudioInputStream in = AudioSystem.getAudioInputStream(wav.toFile())) {
            return in.readAllBytes();
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(a.length + b.length);
        out.writeBytes(a);
        out.writeBytes(b);
        return out.toByteArray();
    }
}
