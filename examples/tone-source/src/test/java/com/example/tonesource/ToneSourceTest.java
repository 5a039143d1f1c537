package com.example.tonesource;

import dev.earshot.conformance.RecordingSourceContext;
import dev.earshot.conformance.TestPluginContext;
import dev.earshot.spi.PluginException;
import dev.earshot.spi.audio.AudioFormat;
import dev.earshot.spi.source.CaptureSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The signal the source writes, its real-time pace, its sessions, and how it refuses bad options. */
class ToneSourceTest {

    @TempDir
    Path home;

    private CaptureSource source(Map<String, String> options) throws Exception {
        return new ToneSourcePlugin().sourceFactories().iterator().next().create(TestPluginContext.source("beeper", options, home));
    }

    @Test
    void theToneHasItsFrequencyLevelAndBeepPattern() {
        Tone tone = new Tone(16_000, 440, -20, Duration.ofMillis(500), Duration.ofMillis(250));
        int crossings = 0;
        int peak = 0;
        for (int i = 1; i < 8_000; i++) { // the first beep: 0.5 s
            if ((tone.sample(i - 1) < 0) != (tone.sample(i) < 0)) {
                crossings++;
            }
            peak = Math.max(peak, Math.abs(tone.sample(i)));
        }
        assertEquals(440, crossings, 2, "a 440 Hz sine crosses zero 440 times in 0.5 s");
        assertEquals(3277, peak, 2, "-20 dBFS peak is a tenth of full scale");
        for (int i = 8_000; i < 12_000; i++) {
            assertEquals(0, tone.sample(i), "silence during the pause, sample " + i);
        }
        int next = 0;
        for (int i = 12_000; i < 12_400; i++) {
            next = Math.max(next, Math.abs(tone.sample(i)));
        }
        assertEquals(3277, next, 2, "the next beep starts after 0.75 s");
    }

    @Test
    void framesComeInRealTimeNeverFaster() throws Exception {
        RecordingSourceContext context = new RecordingSourceContext(16);
        CaptureSource source = source(Map.of());
        long started = System.nanoTime();
        source.start(context);
        Thread.sleep(2_000);
        long frames = context.sessions().get(0).accepted();
        long elapsedMs = (System.nanoTime() - started) / 1_000_000;
        source.close();
        assertEquals(AudioFormat.SPEECH_16K, context.sessions().get(0).format());
        assertTrue(frames <= elapsedMs / 20 + 2, frames + " frames of 20 ms in " + elapsedMs + " ms: faster than real time");
        assertTrue(frames >= elapsedMs / 20 / 2, frames + " frames of 20 ms in " + elapsedMs + " ms: far behind real time");
        assertEquals(frames * 640, context.sessions().get(0).consumedBytes(), "20 ms of 16 kHz mono s16le per frame");
        assertTrue(context.sessions().get(0).isClosed(), "close() ends the session");
    }

    @Test
    void aSessionLengthCutsTheToneIntoSessions() throws Exception {
        RecordingSourceContext context = new RecordingSourceContext(16);
        CaptureSource source = source(Map.of("session-length", "200ms", "sample-rate", "8000"));
        source.start(context);
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (context.sessions().size() < 4 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        source.close();
        List<RecordingSourceContext.Session> sessions = context.sessions();
        assertTrue(sessions.size() >= 4, "sessions: " + sessions.size());
        for (RecordingSourceContext.Session session : sessions.subList(0, 3)) {
            assertTrue(session.isClosed(), "a session ends after 200 ms");
            assertEquals(10, session.accepted(), "200 ms in frames of 20 ms");
            assertEquals(3_200, session.consumedBytes(), "200 ms of 8 kHz mono s16le");
            assertEquals(new AudioFormat(8_000, 1), session.format());
        }
    }

    @Test
    void badOptionsAreRefusedNamingTheKey() {
        PluginException frequency = assertThrows(PluginException.class, () -> source(Map.of("frequency", "9000")));
        assertTrue(frequency.getMessage().contains("earshot.sources.beeper.frequency"), frequency.getMessage());
        PluginException beep = assertThrows(PluginException.class, () -> source(Map.of("beep", "0s")));
        assertTrue(beep.getMessage().contains("earshot.sources.beeper.beep") && beep.getMessage().contains("a positive duration"),
                beep.getMessage());
        PluginException length = assertThrows(PluginException.class, () -> source(Map.of("session-length", "forever")));
        assertTrue(length.getMessage().contains("earshot.sources.beeper.session-length"), length.getMessage());
    }
}
