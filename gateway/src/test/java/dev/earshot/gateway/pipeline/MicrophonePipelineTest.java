package dev.earshot.gateway.pipeline;

import dev.earshot.spi.source.SessionOutcome;
import dev.earshot.gateway.plugin.FakePlugin;
import dev.earshot.gateway.runtime.GatewayRuntime;
import dev.earshot.gateway.runtime.TestRuntimes;
import dev.earshot.gateway.session.Session;
import dev.earshot.gateway.settings.PipelineSettings;
import dev.earshot.gateway.settings.RuntimeSettings;
import dev.earshot.gateway.PulseAudioServer;
import dev.earshot.gateway.SpeechFixtures;
import dev.earshot.gateway.plugin.ComponentKind;
import dev.earshot.gateway.plugin.PluginRegistry;
import dev.earshot.plugins.microphone.MicrophonePlugin;
import dev.earshot.spi.audio.AudioFormat;
import dev.earshot.audio.Wav;
import dev.earshot.spi.source.Pacing;
import dev.earshot.spi.transcript.TranscriptEvent;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.earshot.gateway.session.SessionLifecycleTest.awaitTrue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@code microphone} source in a real runtime, capturing from a private PulseAudio server whose default source
 * is a pipe carrying real recorded speech (PulseAudioServer), through javax.sound and ALSA's PulseAudio plugin.
 */
class MicrophonePipelineTest {

    private static final String THREAD = "earshot-microphone-mic";

    @TempDir
    Path data;

    private PulseAudioServer pulse;
    private Vertx vertx;
    private GatewayRuntime runtime;

    @BeforeEach
    void startSoundServer() throws Exception {
        pulse = PulseAudioServer.start();
        vertx = Vertx.vertx();
    }

    @AfterEach
    void stopAll() throws Exception {
        try {
            if (runtime != null) {
                runtime.stop();
            }
            vertx.close().toCompletionStage().toCompletableFuture().get();
        } finally {
            pulse.close();
        }
    }

    @Test
    void realSpeechIntoThePulseAudioMicrophoneIsTranscribed() throws Exception {
        Path home = SpeechFixtures.MODEL.getParent().getParent();
        runtime = new GatewayRuntime(vertx, new SimpleMeterRegistry(), settings(home, "vosk", Map.of(), 50),
                PluginRegistry.load(getClass().getClassLoader()));
        List<String> finals = new CopyOnWriteArrayList<>();
        runtime.bus().subscribe(event -> {
            if (event.isFinal()) {
                finals.add(event.text());
            }
        });
        runtime.start();
        Pipeline pipeline = runtime.pipeline("mic").orElseThrow();
        awaitTrue(() -> pipeline.sessionCount() == 1, "the microphone opened its session");
        Session session = pipeline.sessions().iterator().next();
        assertEquals(Pacing.LIVE, session.pacing());
        assertEquals(AudioFormat.SPEECH_16K, session.format());
        assertEquals("microphone:default", session.info().origin());

        Map<String, String> references = SpeechFixtures.librivoxReferences();
        pulse.silence(Duration.ofMillis(500));
        for (String clip : references.keySet()) {
            pulse.speak(pcm(SpeechFixtures.LIBRIVOX.resolve(clip)));
            pulse.silence(Duration.ofMillis(1500));
        }
        // Stopping ends the live session: the last utterance gets its final, then the source is closed.
        pipeline.stop(Duration.ofSeconds(10));

        SpeechFixtures.WerTally tally = new SpeechFixtures.WerTally("microphone transcript (finals joined)");
        tally.add("all " + references.size() + " LibriVox clips", String.join(" ", references.values()),
                String.join(" ", finals));
        System.out.println(tally.report("LibriVox through PulseAudio, javax.sound and the microphone source"));
        assertTrue(tally.wer() <= 10.0, "WER through the microphone (plain Vosk: 5.6%): " + tally.summary("microphone"));
        assertEquals(0, session.droppedFrames(), "a real-time talker fills no queue");
        assertTrue(session.framesDecoded() >= 250, "about 30 s of 100 ms frames decoded: " + session.framesDecoded());
        awaitTrue(() -> threadNamed(THREAD).isEmpty(), "capture thread ended with the pipeline");
    }

    @Test
    void aMissingDeviceFailsStartUpNamingTheDevicesThereAre() {
        runtime = new GatewayRuntime(vertx, new SimpleMeterRegistry(),
                settings(data, "counting", Map.of("device", "respeaker"), 8), PluginRegistry.of(List.of(new MicrophonePlugin(), new FakePlugin())));
        IllegalStateException error = assertThrows(IllegalStateException.class, runtime::start);
        assertTrue(error.getMessage().contains("pipeline 'mic' cannot start: earshot.sources.mic.device: no capture device"
                + " matches 'respeaker'; available: 'default [default]'"), error.getMessage());
        assertTrue(threadNamed(THREAD).isEmpty(), "no capture thread was left behind");
        runtime = null;
    }

    @Test
    void aStalledPipelineDropsTheOldestFramesWhileCaptureKeepsReading() throws Exception {
        FakePlugin fake = new FakePlugin();
        fake.decodeDelay = Duration.ofSeconds(1); // ten times slower than the microphone
        runtime = TestRuntimes.start(vertx, settings(data, "counting", Map.of("sample-rate", "48000", "channels", "2",
                "frame", "50ms"), 4), new MicrophonePlugin(), fake);
        Pipeline pipeline = runtime.pipeline("mic").orElseThrow();
        awaitTrue(() -> pipeline.sessionCount() == 1, "the microphone opened its session");
        Session session = pipeline.sessions().iterator().next();
        assertEquals(new AudioFormat(48_000, 2), session.format(), "PulseAudio converts the 16 kHz mono pipe");

        pulse.speak(pcm(SpeechFixtures.LIBRIVOX.resolve(SpeechFixtures.librivoxReferences().keySet().iterator().next())));
        Thread capture = threadNamed(THREAD).orElseThrow();
        assertTrue(capture.isAlive(), "capture thread runs");
        long dropped = session.droppedFrames();
        long decoded = session.framesDecoded();
        // 3 s of 50 ms frames: about 60 captured, at most 4 decoded and 4 queued; the rest dropped, oldest first.
        assertTrue(dropped >= 40, "dropped frames counted: " + dropped + " (decoded " + decoded + ")");
        assertTrue(session.queuedFrames() <= 4, "the queue stays bounded: " + session.queuedFrames());
        pulse.silence(Duration.ofMillis(500));
        assertTrue(session.droppedFrames() > dropped, "capture went on while decoding stalled");
        assertTrue(session.isOpen());
        fake.decodeDelay = Duration.ZERO;
    }

    @Test
    void stoppingJoinsTheCaptureThreadEvenWhileNoAudioArrives() throws Exception {
        FakePlugin fake = new FakePlugin();
        runtime = TestRuntimes.start(vertx, settings(data, "counting", Map.of(), 8), new MicrophonePlugin(), fake);
        Pipeline pipeline = runtime.pipeline("mic").orElseThrow();
        awaitTrue(() -> pipeline.sessionCount() == 1, "the microphone opened its session");
        pipeline.stop(Duration.ofSeconds(2));
        assertTrue(threadNamed(THREAD).isEmpty(), "stop returned after the capture thread ended");
        int baseline = threadsButEventLoops();

        for (int cycle = 0; cycle < 5; cycle++) {
            pipeline.start();
            awaitTrue(() -> pipeline.sessionCount() == 1, "session of cycle");
            Thread capture = threadNamed(THREAD).orElseThrow();
            if (cycle % 2 == 0) {
                pulse.silence(Duration.ofMillis(300)); // reading, not blocked
            } // else: the pipe is silent and the read blocks until the line is stopped
            pipeline.stop(Duration.ofSeconds(2));
            assertTrue(!capture.isAlive(), "cycle " + cycle + ": capture thread joined by stop");
            assertEquals(0, pipeline.sessionCount());
        }
        awaitTrue(() -> threadsButEventLoops() <= baseline, "threads back to " + baseline + ", now " + threadsButEventLoops());
        assertEquals(0, fake.openRecognizers.get(), "every session's recognizer released");
    }

    @Test
    void aLostSoundServerEndsTheSessionAndCaptureResumesWhenItIsBack() throws Exception {
        FakePlugin fake = new FakePlugin();
        runtime = TestRuntimes.start(vertx, settings(data, "counting", Map.of("retry-delay", "200ms",
                "max-retry-delay", "400ms"), 50), new MicrophonePlugin(), fake);
        Pipeline pipeline = runtime.pipeline("mic").orElseThrow();
        awaitTrue(() -> pipeline.sessionCount() == 1, "the microphone opened its session");
        Session first = pipeline.sessions().iterator().next();
        pulse.silence(Duration.ofSeconds(1));
        awaitTrue(() -> first.framesDecoded() >= 5, "audio flows");

        pulse.close(); // the device is gone
        SessionOutcome reason = first.closed().toCompletableFuture().get(10, java.util.concurrent.TimeUnit.SECONDS);
        assertEquals(SessionOutcome.ended(), reason, "the session ended gracefully: its audio got a final");
        Thread.sleep(1000); // a few failed attempts to reopen, 200 then 400 ms apart
        assertEquals(0, pipeline.sessionCount(), "no session while the device is missing");
        assertTrue(threadNamed(THREAD).isPresent(), "the capture thread keeps trying");

        pulse.restart();
        awaitTrue(() -> pipeline.sessionCount() == 1, "a new session once the device is back");
        Session second = pipeline.sessions().iterator().next();
        assertNotEquals(first.id(), second.id());
        pulse.silence(Duration.ofSeconds(1));
        awaitTrue(() -> second.framesDecoded() >= 5, "audio flows again");
    }

    private static RuntimeSettings settings(Path home, String engine, Map<String, String> micOptions, int frameQueue) {
        Map<String, String> options = new HashMap<>(micOptions);
        options.put("type", "microphone");
        PipelineSettings pipeline = new PipelineSettings("mic", true, Optional.of("mic"), engine, List.of(), List.of(),
                frameQueue, 4);
        // The source's close (which joins the capture thread, up to 5 s) runs under the hook time limit: a limit
        // above that join, so that a slow sound server on a loaded machine cannot cut the close short.
        return TestRuntimes.settings(home, Map.of("mic", pipeline), Map.of(ComponentKind.SOURCE, Map.of("mic", options)), 1,
                Duration.ofSeconds(10));
    }

    private static byte[] pcm(Path wav) throws Exception {
        try (InputStream in = Files.newInputStream(wav)) {
            Wav.Header header = Wav.readHeader(in);
            assertEquals(AudioFormat.SPEECH_16K, header.format(), wav + " is 16 kHz mono");
            return Wav.pcm16(in, header).readAllBytes();
        }
    }

    /** Live threads but Vert.x's event loops, which it starts lazily (one per new session context, up to its pool size). */
    private static int threadsButEventLoops() {
        return (int) Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && !t.getName().startsWith("vert.x-eventloop-thread-")).count();
    }

    private static Optional<Thread> threadNamed(String name) {
        List<Thread> threads = new ArrayList<>(Thread.getAllStackTraces().keySet());
        return threads.stream().filter(t -> t.getName().equals(name) && t.isAlive()).findFirst();
    }
}
