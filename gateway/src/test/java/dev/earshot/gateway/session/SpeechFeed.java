package dev.earshot.gateway.session;

import dev.earshot.gateway.pipeline.Pipeline;

import dev.earshot.spi.source.SessionOutcome;
import dev.earshot.gateway.SpeechFixtures;
import dev.earshot.spi.audio.AudioFormat;
import dev.earshot.spi.audio.AudioFrame;
import dev.earshot.audio.Wav;
import dev.earshot.spi.source.Pacing;
import dev.earshot.spi.transcript.TranscriptEvent;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Real recorded speech (the LibriVox clips of pocketsphinx-testdata) fed through a pipeline, one session per clip,
 * in 100 ms frames; records every event the sessions produce, in order.
 */
public final class SpeechFeed {

    final List<TranscriptEvent> events = new CopyOnWriteArrayList<>();

    public static List<byte[]> clips() throws IOException {
        List<byte[]> clips = new ArrayList<>();
        for (String name : SpeechFixtures.librivoxReferences().keySet()) {
            byte[] file = Files.readAllBytes(SpeechFixtures.LIBRIVOX.resolve(name));
            Wav.Header header = Wav.parse(file);
            try (InputStream pcm = Wav.pcm16(new ByteArrayInputStream(file, (int) header.dataOffset(),
                    file.length - (int) header.dataOffset()), header)) {
                clips.add(pcm.readAllBytes());
            }
        }
        return clips;
    }

    public List<TranscriptEvent> finals() {
        return events.stream().filter(TranscriptEvent::isFinal).toList();
    }

    public long partials() {
        return events.stream().filter(e -> !e.isFinal()).count();
    }

    /**
     * Feeds one clip as one session and waits until the listener has heard it end (its transcripts come on the
     * session's event loop, after the session's closed() may already have completed); {@code frameSleepMillis} paces
     * it (0: full speed).
     */
    public void feed(Pipeline pipeline, byte[] pcm, long frameSleepMillis) throws Exception {
        CompletableFuture<SessionOutcome> heardClosed = new CompletableFuture<>();
        Session session = pipeline.openSession(new SessionRequest("test:speech", AudioFormat.SPEECH_16K, Pacing.PACED,
                Map.of(), true, 0, List.of(), new SessionListener() {
            @Override
            public void onTranscript(TranscriptEvent event) {
                events.add(event);
            }

            @Override
            public void onClosed(SessionOutcome reason) {
                heardClosed.complete(reason);
            }
        }, null));
        for (int offset = 0, f = 0; offset < pcm.length; offset += 3200, f++) {
            session.put(AudioFrame.copyOf(AudioFormat.SPEECH_16K, pcm, offset, Math.min(3200, pcm.length - offset), f, Instant.now()));
            if (frameSleepMillis > 0) {
                Thread.sleep(frameSleepMillis);
            }
        }
        session.end();
        session.closed().toCompletableFuture().get(60, TimeUnit.SECONDS);
        heardClosed.get(10, TimeUnit.SECONDS); // the last call on the listener: every transcript is in
    }

    public static Path home() {
        return SpeechFixtures.MODEL.getParent().getParent();
    }
}
