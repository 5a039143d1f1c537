package com.example.energyengine;

import dev.earshot.conformance.TestPluginContext;
import dev.earshot.spi.PluginException;
import dev.earshot.spi.audio.AudioFormat;
import dev.earshot.spi.audio.AudioFrame;
import dev.earshot.spi.engine.Recognizer;
import dev.earshot.spi.engine.RecognizerOptions;
import dev.earshot.spi.engine.SpeechEngine;
import dev.earshot.spi.hook.SessionInfo;
import dev.earshot.spi.transcript.Hypothesis;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the engine reports for known audio, and how it refuses bad options. */
class EnergyEngineTest {

    @TempDir
    Path home;

    private SpeechEngine engine(Map<String, String> options) throws Exception {
        return new EnergyEnginePlugin().engineFactories().iterator().next()
                .create(TestPluginContext.engine("levels", options, home));
    }

    /** Feeds the audio in 100 ms frames, flushes, and returns what the recognizer reported. */
    private static List<Hypothesis> decode(SpeechEngine engine, byte[] pcm) throws Exception {
        List<Hypothesis> heard = new ArrayList<>();
        AudioFormat format = engine.inputFormat();
        SessionInfo session = new SessionInfo("s", "test", "test:s", format, Instant.now(), Map.of());
        try (Recognizer recognizer = engine.createRecognizer(RecognizerOptions.defaults(session), heard::add)) {
            int size = format.bytesFor(java.time.Duration.ofMillis(100));
            long sequence = 0;
            for (int offset = 0; offset < pcm.length; offset += size) {
                recognizer.accept(AudioFrame.copyOf(format, pcm, offset, Math.min(size, pcm.length - offset), sequence++, Instant.now()));
            }
            recognizer.flush();
        }
        return heard;
    }

    private static List<Hypothesis> finals(List<Hypothesis> heard) {
        return heard.stream().filter(Hypothesis::isFinal).toList();
    }

    @Test
    void everyBurstIsOneFinalWithItsLengthAndPosition() throws Exception {
        // 1 s quiet, 0.5 s tone, 1 s quiet, 1.2 s tone, 1 s quiet, 0.3 s tone, 1 s quiet
        List<Hypothesis> heard = decode(engine(Map.of()), Signals.bursts(0.3, 1.0, 0.5, 1.2, 0.3));
        List<Hypothesis> finals = finals(heard);
        assertEquals(List.of("sound 0.50 s", "sound 1.20 s", "sound 0.30 s"), finals.stream().map(Hypothesis::text).toList(), heard.toString());
        assertEquals(1.0, finals.get(0).words().get(0).start(), 0.021);
        assertEquals(2.5, finals.get(1).words().get(0).start(), 0.021);
        assertEquals(3.7, finals.get(1).words().get(0).end(), 0.021);
        assertEquals(3, heard.stream().filter(h -> !h.isFinal()).count(), "one partial as each sound starts to count: " + heard);
    }

    @Test
    void quietAudioShortClicksAndSoundsBelowTheThresholdAreNotReported() throws Exception {
        assertEquals(List.of(), decode(engine(Map.of()), Signals.bursts(0.0, 2.0, 1.0)), "noise at -60 dBFS");
        // a 100 ms click is shorter than min-sound (200 ms)
        assertEquals(List.of(), decode(engine(Map.of()), Signals.bursts(0.5, 1.0, 0.1)), "a click");
        // a tone at about -33 dBFS RMS is below a -30 dBFS threshold, above the default -35
        byte[] soft = Signals.bursts(0.032, 1.0, 1.0);
        assertEquals(List.of(), finals(decode(engine(Map.of("threshold", "-30")), soft)));
        assertEquals(1, finals(decode(engine(Map.of()), soft)).size());
    }

    @Test
    void aSoundStillGoingOnIsReportedAtFlushAndLabelAndHangApply() throws Exception {
        byte[] pcm = Signals.bursts(0.3, 0.5, 2.0);
        // 0.5 s quiet, 2 s tone, 0.5 s quiet, cut 1 s before its end: the tone is still on (1.5 s of it) at flush
        byte[] cut = java.util.Arrays.copyOf(pcm, pcm.length - 2 * Signals.RATE);
        List<Hypothesis> finals = finals(decode(engine(Map.of("label", "beep")), cut));
        assertEquals(List.of("beep 1.50 s"), finals.stream().map(Hypothesis::text).toList());
        // two 0.4 s tones 0.6 s apart: one sound with hang=1s, two with the default 500ms
        byte[] close = Signals.bursts(0.3, 0.6, 0.4, 0.4);
        assertEquals(2, finals(decode(engine(Map.of()), close)).size());
        assertEquals(List.of("sound 1.40 s"), finals(decode(engine(Map.of("hang", "1s")), close)).stream().map(Hypothesis::text).toList());
    }

    @Test
    void badOptionsAreRefusedNamingTheKey() {
        PluginException threshold = assertThrows(PluginException.class, () -> engine(Map.of("threshold", "loud")));
        assertTrue(threshold.getMessage().contains("earshot.engines.levels.threshold"), threshold.getMessage());
        PluginException hang = assertThrows(PluginException.class, () -> engine(Map.of("hang", "5ms")));
        assertTrue(hang.getMessage().contains("earshot.engines.levels.hang") && hang.getMessage().contains("at least 20ms"), hang.getMessage());
        PluginException label = assertThrows(PluginException.class, () -> engine(Map.of("label", "two words")));
        assertTrue(label.getMessage().contains("earshot.engines.levels.label"), label.getMessage());
    }
}
