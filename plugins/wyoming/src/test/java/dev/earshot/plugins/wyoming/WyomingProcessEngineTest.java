package dev.earshot.plugins.wyoming;

import dev.earshot.process.ChildProcesses;
import dev.earshot.conformance.TestPluginContext;
import dev.earshot.spi.PluginException;
import dev.earshot.spi.audio.AudioFormat;
import dev.earshot.spi.audio.AudioFrame;
import dev.earshot.spi.engine.EngineHealth;
import dev.earshot.spi.engine.Recognizer;
import dev.earshot.spi.engine.RecognizerOptions;
import dev.earshot.spi.engine.SpeechEngine;
import dev.earshot.spi.hook.SessionInfo;
import dev.earshot.spi.transcript.Hypothesis;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The wyoming-process engine running a real third-party engine (PocketSphinx from Debian) behind the Wyoming
 * framing, on real recorded speech: transcripts against the references, supervision when the process is killed
 * mid-stream, and no process left behind.
 */
class WyomingProcessEngineTest {

    @TempDir
    Path home;

    private final List<SpeechEngine> engines = new ArrayList<>();

    @AfterEach
    void closeEngines() {
        engines.forEach(SpeechEngine::close);
    }

    static Map<String, String> options(String... more) {
        Map<String, String> options = new HashMap<>();
        options.put("command", Speech.PYTHON);
        options.put("args", Speech.PROGRAM.toString());
        for (int i = 0; i < more.length; i += 2) {
            options.put(more[i], more[i + 1]);
        }
        return options;
    }

    private WyomingEngine engine(Map<String, String> options) throws Exception {
        TestPluginContext context = TestPluginContext.engine("sphinx", options, home)
                .withOptions(new WyomingProcessEngineFactory().options());
        WyomingEngine engine = (WyomingEngine) new WyomingProcessEngineFactory().create(context);
        engines.add(engine);
        assertTrue(context.config().unreadKeys().isEmpty(), "unread options: " + context.config().unreadKeys());
        assertTrue(context.config().undeclaredReads().isEmpty(), "undeclared: " + context.config().undeclaredReads());
        return engine;
    }

    static RecognizerOptions session(String id) {
        return RecognizerOptions.defaults(new SessionInfo(id, "test", "test:" + id, AudioFormat.SPEECH_16K, Instant.now(), Map.of()));
    }

    @Test
    void transcribesTheLibriVoxClipsWithinAFairWordErrorRate() throws Exception {
        WyomingEngine engine = engine(options("args", Speech.PROGRAM + " --partials"));
        List<Hypothesis> heard = new CopyOnWriteArrayList<>();
        int errors = 0;
        int words = 0;
        long started = System.nanoTime();
        try (Recognizer recognizer = engine.createRecognizer(session("librivox"), heard::add)) {
            for (Map.Entry<String, String> clip : Speech.librivoxReferences().entrySet()) {
                int before = heard.size();
                for (AudioFrame frame : Speech.frames(Speech.clip(clip.getKey()), 0)) {
                    recognizer.accept(frame);
                }
                recognizer.flush();
                List<Hypothesis> finals = heard.subList(before, heard.size()).stream().filter(Hypothesis::isFinal).toList();
                assertEquals(1, finals.size(), "one final per clip: " + heard.subList(before, heard.size()));
                String text = finals.get(0).text();
                int clipErrors = Speech.wordErrors(clip.getValue(), text);
                System.out.printf("wyoming-process (pocketsphinx) %s: %d error(s) in %d words: %s%n", clip.getKey(),
                        clipErrors, Speech.wordCount(clip.getValue()), text);
                errors += clipErrors;
                words += Speech.wordCount(clip.getValue());
            }
        }
        double wer = (double) errors / words;
        System.out.printf("wyoming-process (pocketsphinx) LibriVox WER: %d/%d = %.1f%% in %d ms%n", errors, words, wer * 100,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
        // PocketSphinx's small English model is far less accurate than Vosk (REAL-PARTS.md: about 37 % on these clips).
        assertTrue(wer < 0.5, "WER " + wer + " above 50 %");
        assertTrue(heard.stream().anyMatch(h -> !h.isFinal()), "the program streams partials: none arrived");
        assertEquals(0, engine.restarts());
        assertEquals(0, engine.droppedFrames());
    }

    @Test
    void killMinusNineMidStreamRestartsTheProgramWhileTheSessionGoesOn() throws Exception {
        WyomingEngine engine = engine(options("restart-backoff-min", "300ms", "restart-backoff-max", "2s"));
        List<Hypothesis> heard = new CopyOnWriteArrayList<>();
        Map<String, String> references = Speech.librivoxReferences();
        List<String> clips = new ArrayList<>(references.keySet());
        try (WyomingRecognizer recognizer = (WyomingRecognizer) engine.createRecognizer(session("crash"), heard::add)) {
            // First utterance: decoded normally.
            for (AudioFrame frame : Speech.frames(Speech.clip(clips.get(1)), 0)) {
                recognizer.accept(frame);
            }
            recognizer.flush();
            assertEquals(1, heard.stream().filter(Hypothesis::isFinal).count());
            assertEquals(EngineHealth.Status.UP, engine.health().status());

            // Second utterance: kill -9 the program halfway through.
            ProcessOpener.ProcessLink link = (ProcessOpener.ProcessLink) recognizer.link();
            long pid = link.pid();
            List<AudioFrame> frames = Speech.frames(Speech.clip(clips.get(0)), 100);
            long killedAt = 0;
            EngineHealth degraded = null;
            for (int i = 0; i < frames.size(); i++) {
                if (i == frames.size() / 2) {
                    Process kill = new ProcessBuilder("kill", "-9", Long.toString(pid)).inheritIO().start();
                    assertEquals(0, kill.waitFor());
                    killedAt = System.nanoTime();
                    // Wait until the engine noticed, so that the rest of this utterance falls into the gap.
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                    while (!recognizer.inGap() && System.nanoTime() < deadline) {
                        Thread.sleep(5);
                    }
                    degraded = engine.health();
                }
                recognizer.accept(frames.get(i));
            }
            long noticedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
            recognizer.flush();
            assertTrue(degraded != null && degraded.status() == EngineHealth.Status.DEGRADED,
                    "health while the program is down: " + degraded);
            assertTrue(degraded.detail().contains("exited with code 137 (signal 9)"), degraded.detail());
            assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "the killed process is gone");
            // Frames queued for the killed process are dropped and counted; the rest waits for the new one.
            long dropped = recognizer.droppedFrames();
            assertEquals(dropped, engine.droppedFrames());

            // The program comes back (after the back-off) and the next utterance is transcribed by the new process.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (engine.health().status() != EngineHealth.Status.UP && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            long recoveredMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
            assertEquals(EngineHealth.up(), engine.health());
            ProcessOpener.ProcessLink restarted = (ProcessOpener.ProcessLink) recognizer.link();
            assertNotEquals(pid, restarted.pid());
            assertEquals(1, engine.restarts());
            // The audio buffered during the restart went to the new process as an utterance of its own.
            assertEquals(2, heard.stream().filter(Hypothesis::isFinal).count(), heard::toString);
            int finalsBefore = (int) heard.stream().filter(Hypothesis::isFinal).count();
            // The longest clip: a fresh PocketSphinx (no cepstral mean adapted yet) does worse on a short one.
            for (AudioFrame frame : Speech.frames(Speech.clip(clips.get(3)), 1000)) {
                recognizer.accept(frame);
            }
            recognizer.flush();
            List<Hypothesis> finals = heard.stream().filter(Hypothesis::isFinal).toList();
            assertEquals(finalsBefore + 1, finals.size(), "a final after the restart: " + heard);
            String after = finals.get(finals.size() - 1).text();
            String reference = references.get(clips.get(3));
            int errors = Speech.wordErrors(reference, after);
            System.out.printf("kill -9: noticed in %d ms, healthy again %d ms after the kill, %d frame(s) dropped; "
                    + "after restart: '%s' (%d error(s) in %d words)%n", noticedMillis, recoveredMillis, dropped, after,
                    errors, Speech.wordCount(reference));
            assertTrue(errors <= Speech.wordCount(reference) / 2, "transcript after the restart: " + after);
        }
    }

    @Test
    void closeLeavesNoProcessBehind() throws Exception {
        WyomingEngine engine = engine(options());
        List<Long> pids = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            WyomingRecognizer recognizer = (WyomingRecognizer) engine.createRecognizer(session("s" + i), h -> { });
            recognizer.accept(Speech.frames(Speech.clip(Speech.librivoxReferences().keySet().iterator().next()), 0).get(0));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (recognizer.link() == null && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            pids.add(((ProcessOpener.ProcessLink) recognizer.link()).pid());
            if (i == 0) {
                recognizer.close();
            }
        }
        engine.close();
        for (long pid : pids) {
            assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "process " + pid + " still runs");
        }
        assertEquals(0, engine.openRecognizers());
    }

    @Test
    void aCommandThatIsNotAWyomingProgramFailsTheEngineWithTheKeyToFix() throws Exception {
        PluginException missing = assertThrows(PluginException.class,
                () -> engine(options("command", home.resolve("no-such-program").toString(), "args", "")));
        assertTrue(missing.getMessage().startsWith("earshot.engines.sphinx.command: "), missing.getMessage());
        Path silent = home.resolve("silent.sh");
        Files.writeString(silent, "#!/bin/sh\nexec sleep 30\n");
        assertTrue(silent.toFile().setExecutable(true));
        PluginException mute = assertThrows(PluginException.class,
                () -> engine(options("command", silent.toString(), "args", "", "start-timeout", "500ms")));
        assertTrue(mute.getMessage().contains("did not answer 'describe' within 500 ms"), mute.getMessage());
        Path garbage = home.resolve("garbage.sh");
        Files.writeString(garbage, "#!/bin/sh\necho 'this is not wyoming'\nexec cat > /dev/null\n");
        assertTrue(garbage.toFile().setExecutable(true));
        PluginException broken = assertThrows(PluginException.class,
                () -> engine(options("command", garbage.toString(), "args", "", "start-timeout", "10s")));
        assertTrue(broken.getMessage().contains("header is not a JSON object"), broken.getMessage());
        Path quits = home.resolve("quits.sh");
        Files.writeString(quits, "#!/bin/sh\nexit 3\n");
        assertTrue(quits.toFile().setExecutable(true));
        PluginException exited = assertThrows(PluginException.class,
                () -> engine(options("command", quits.toString(), "args", "")));
        assertTrue(exited.getMessage().contains("it exited with code 3"), exited.getMessage());
        assertEquals(0, ChildProcesses.live(), "no probe process left running");
    }
}
