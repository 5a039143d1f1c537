package dev.earshot.conformance;

import dev.earshot.spi.audio.AudioFormat;
import dev.earshot.spi.audio.AudioFrame;
import dev.earshot.spi.engine.EngineStat;
import dev.earshot.spi.engine.RecognitionListener;
import dev.earshot.spi.engine.Recognizer;
import dev.earshot.spi.engine.RecognizerOptions;
import dev.earshot.spi.engine.SpeechEngine;
import dev.earshot.spi.hook.SessionInfo;
import dev.earshot.spi.transcript.Hypothesis;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@link SpeechEngine} and {@link dev.earshot.spi.engine.Recognizer} contracts. Extend it in your engine's tests
 * and say how to make the engine and what speech to feed it:
 *
 * <pre>{@code
 * class MyEngineConformanceTest extends SpeechEngineContract {
 *     protected SpeechEngine createEngine() throws Exception {
 *         return new MyEngineFactory().create(TestPluginContext.engine("mine", Map.of("model", "..."), home));
 *     }
 *     protected byte[] speech() { return ... 16-bit PCM in the engine's input format, a few seconds of speech ... }
 * }
 * }</pre>
 *
 * <p>Checked: recognizers report something for speech (so the other checks can fail); {@code close()} of a
 * recognizer and of the engine is idempotent and safe from several threads at once; no listener call starts after a
 * recognizer's {@code close()} returned, over many runs that close at different points of the audio; a listener may
 * close the recognizer from inside its own callback without a deadlock (a watchdog dumps the threads if it hangs).
 * Calls follow the host's threading: {@code accept}/{@code flush}/{@code close} from one thread at a time.
 */
public abstract class SpeechEngineContract {

    /** Creates the engine under test; called before each check and closed after it. */
    protected abstract SpeechEngine createEngine() throws Exception;

    /** Speech in the engine's {@link SpeechEngine#inputFormat()}: 16-bit little-endian PCM. */
    protected abstract byte[] speech() throws Exception;

    /** Runs of the close race; each closes after a different amount of audio. */
    protected int closeRaceRuns() {
        return 12;
    }

    /** How long one step (a run, a close) may take before the watchdog calls it a hang. */
    protected Duration stepLimit() {
        return Duration.ofSeconds(60);
    }

    /** How long to watch for late callbacks after close returned. */
    protected Duration lateCallbackWindow() {
        return Duration.ofMillis(300);
    }

    protected SpeechEngine engine;

    @BeforeEach
    void createEngineUnderTest() throws Exception {
        engine = createEngine();
        assertNotNull(engine, "createEngine() returned null");
        assertNotNull(engine.inputFormat(), "the engine reports no input format");
    }

    @AfterEach
    void closeEngineUnderTest() {
        if (engine != null) {
            engine.close();
        }
    }

    /** Session details for a recognizer, as the host passes them. */
    protected static RecognizerOptions options(AudioFormat format, String id) {
        return RecognizerOptions.defaults(new SessionInfo(id, "conformance", "conformance:" + id, format, Instant.now(), Map.of()));
    }

    /** Splits the speech into 100 ms frames of the engine's format. */
    protected final List<AudioFrame> frames() throws Exception {
        AudioFormat format = engine.inputFormat();
        byte[] pcm = speech();
        int size = format.bytesFor(Duration.ofMillis(100));
        List<AudioFrame> frames = new ArrayList<>();
        long sequence = 0;
        for (int offset = 0; offset + format.bytesPerFrame() <= pcm.length; offset += size) {
            int length = Math.min(size, pcm.length - offset);
            length -= length % format.bytesPerFrame();
            frames.add(AudioFrame.copyOf(format, pcm, offset, length, sequence++, Instant.now()));
        }
        assertTrue(frames.size() >= 10, "speech() should hold at least a second of audio");
        return frames;
    }

    @Test
    void recognizerReportsAFinalForSpeech() throws Exception {
        List<AudioFrame> frames = frames();
        List<Hypothesis> heard = new CopyOnWriteArrayList<>();
        Watchdog.run(stepLimit(), "decode speech", () -> {
            try (Recognizer recognizer = engine.createRecognizer(options(engine.inputFormat(), "final"), heard::add)) {
                for (AudioFrame frame : frames) {
                    recognizer.accept(frame);
                }
                recognizer.flush();
            }
        });
        assertTrue(heard.stream().anyMatch(h -> h.isFinal() && !h.text().isBlank()),
                "no final with text for the speech; heard: " + heard);
    }

    @Test
    void recognizerCloseIsIdempotentAndSafeFromSeveralThreads() throws Exception {
        List<AudioFrame> frames = frames();
        Recognizer recognizer = engine.createRecognizer(options(engine.inputFormat(), "close"), hypothesis -> { });
        for (AudioFrame frame : frames.subList(0, frames.size() / 2)) {
            recognizer.accept(frame);
        }
        Watchdog.closeFromThreads(recognizer, 4, stepLimit());
        Watchdog.run(stepLimit(), "close again", recognizer::close);
    }

    @Test
    void noListenerCallStartsAfterCloseReturned() throws Exception {
        List<AudioFrame> frames = frames();
        AtomicInteger heardBeforeClose = new AtomicInteger();
        int runs = closeRaceRuns();
        for (int run = 0; run < runs; run++) {
            AtomicBoolean closeReturned = new AtomicBoolean();
            AtomicReference<String> late = new AtomicReference<>();
            AtomicInteger heard = new AtomicInteger();
            RecognitionListener listener = hypothesis -> {
                if (closeReturned.get()) {
                    late.compareAndSet(null, "listener called after close() returned: " + hypothesis);
                }
                heard.incrementAndGet();
            };
            // Close after a different share of the audio each run, sometimes right after a flush.
            int cut = Math.max(1, (int) ((long) frames.size() * (run + 1) / (runs + 1)));
            boolean flushFirst = run % 2 == 1;
            String id = "race-" + run;
            Watchdog.run(stepLimit(), "close race run " + run, () -> {
                Recognizer recognizer = engine.createRecognizer(options(engine.inputFormat(), id), listener);
                for (AudioFrame frame : frames.subList(0, cut)) {
                    recognizer.accept(frame);
                }
                if (flushFirst) {
                    recognizer.flush();
                }
                recognizer.close();
                closeReturned.set(true);
            });
            heardBeforeClose.addAndGet(heard.get());
            Thread.sleep(lateCallbackWindow().toMillis());
            assertNull(late.get(), late::get);
        }
        assertTrue(heardBeforeClose.get() > 0, "the engine reported nothing in " + runs + " runs: the race was not exercised");
    }

    @Test
    void listenerMayCloseTheRecognizerFromItsCallback() throws Exception {
        List<AudioFrame> frames = frames();
        AtomicReference<Recognizer> self = new AtomicReference<>();
        AtomicInteger calls = new AtomicInteger();
        AtomicBoolean closedInCallback = new AtomicBoolean();
        CountDownLatch firstCall = new CountDownLatch(1);
        RecognitionListener listener = hypothesis -> {
            calls.incrementAndGet();
            if (closedInCallback.compareAndSet(false, true)) {
                self.get().close();
            }
            firstCall.countDown();
        };
        Watchdog.run(stepLimit(), "close from inside the listener", () -> {
            Recognizer recognizer = engine.createRecognizer(options(engine.inputFormat(), "reentrant"), listener);
            self.set(recognizer);
            try {
                for (AudioFrame frame : frames) {
                    if (closedInCallback.get()) {
                        break;
                    }
                    recognizer.accept(frame);
                }
                if (!closedInCallback.get()) {
                    recognizer.flush();
                }
            } catch (IllegalStateException closedMeanwhile) {
                // a recognizer may refuse audio once closed: that is what it should do
            }
            firstCall.await();
            recognizer.close();
        });
        assertTrue(closedInCallback.get(), "the listener was never called, so it could not close the recognizer");
        Thread.sleep(lateCallbackWindow().toMillis());
        assertEquals(1, calls.get(), "listener calls after the recognizer closed itself from its callback");
    }

    /**
     * {@code stats()}: a list (empty for none), each name once, every value readable without throwing, and counters
     * that never go back, across a session.
     */
    @Test
    void statsHaveUniqueNamesReadableValuesAndCountersThatNeverGoBack() throws Exception {
        List<EngineStat> stats = engine.stats();
        assertNotNull(stats, "stats() returned null; return List.of() when the engine reports nothing");
        Map<String, Double> before = new HashMap<>();
        for (EngineStat stat : stats) {
            assertNotNull(stat, "stats() holds a null");
            assertNull(before.put(stat.name(), stat.value().getAsDouble()), "stat '" + stat.name() + "' is given twice");
        }
        List<AudioFrame> frames = frames();
        Recognizer recognizer = engine.createRecognizer(options(engine.inputFormat(), "stats"), hypothesis -> { });
        for (AudioFrame frame : frames) {
            recognizer.accept(frame);
        }
        recognizer.flush();
        recognizer.close();
        for (EngineStat stat : stats) {
            double value = stat.value().getAsDouble();
            if (stat.counter()) {
                assertTrue(value >= 0 && value >= before.get(stat.name()), "counter '" + stat.name() + "' went from "
                        + before.get(stat.name()) + " to " + value + ": a counter only grows");
            }
        }
    }

    @Test
    void engineCloseIsIdempotentAndSafeFromSeveralThreads() throws Exception {
        Recognizer recognizer = engine.createRecognizer(options(engine.inputFormat(), "engine-close"), hypothesis -> { });
        recognizer.close();
        SpeechEngine closing = engine;
        Watchdog.closeFromThreads(closing, 3, stepLimit());
        closing.close();
        engine = null;
    }
}
