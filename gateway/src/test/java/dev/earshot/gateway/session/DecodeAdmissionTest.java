package dev.earshot.gateway.session;

import dev.earshot.gateway.settings.AdmissionSettings;
import dev.earshot.gateway.settings.GatewayConfigException;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The admission decision with scripted measurements: sessions whose counters advance as a decoder of a known cost
 * would advance them, sampled at the runtime's interval on a scripted clock.
 */
class DecodeAdmissionTest {

    private static final long TICK = DecodeAdmission.SAMPLE_INTERVAL.toNanos();

    /** A session fed in real time whose decoding costs {@code cost} thread-seconds per audio second. */
    private static final class Scripted implements DecodeAdmission.Load {
        final String pipeline;
        final String origin;
        double cost;
        /** Share of the audio the speech gate lets through to the recognizer. */
        double speech = 1;
        long busy;
        long taken;
        long recognizer;
        long fed;
        double lag;

        Scripted(String pipeline, String origin, double cost) {
            this.pipeline = pipeline;
            this.origin = origin;
            this.cost = cost;
        }

        void decode(long audioNanos) {
            taken += audioNanos;
            fed += (long) (audioNanos * speech);
            recognizer += (long) (audioNanos * speech * cost);
            busy += (long) (audioNanos * speech * cost) + audioNanos / 100;
        }

        @Override
        public String pipelineName() {
            return pipeline;
        }

        @Override
        public String origin() {
            return origin;
        }

        @Override
        public long busyNanos() {
            return busy;
        }

        @Override
        public long takenAudioNanos() {
            return taken;
        }

        @Override
        public long recognizerNanos() {
            return recognizer;
        }

        @Override
        public long fedAudioNanos() {
            return fed;
        }

        @Override
        public double lagSeconds(long nowNanos) {
            return lag;
        }
    }

    private long now = 1_000_000_000L;

    /** Runs the sessions in real time for {@code seconds}, sampling at every tick. */
    private void run(DecodeAdmission admission, double seconds, Scripted... sessions) {
        for (long t = 0; t < (long) (seconds * 1e9); t += TICK) {
            for (Scripted session : sessions) {
                session.decode(TICK);
            }
            now += TICK;
            admission.sample(now);
        }
    }

    private static DecodeAdmission admission(int threads) {
        return new DecodeAdmission(AdmissionSettings.DEFAULT, threads);
    }

    @Test
    void oneMoreSessionThanTheThreadsCanDecodeIsRefusedAndTheMessageSaysWhy() {
        DecodeAdmission admission = admission(1);
        Scripted first = new Scripted("p", "vosk:1", 0.45);
        admission.admit(first);
        run(admission, 3, first);
        Scripted second = new Scripted("p", "wyoming:2", 0.45);
        admission.admit(second);
        run(admission, 3, first, second);
        assertEquals(0.9, admission.load(), 0.03, "two streams of 0.45 plus their overhead");

        SessionRefusedException refused = assertThrows(SessionRefusedException.class,
                () -> admission.admit(new Scripted("p", "whip", 0.45)));
        assertTrue(refused.retryable(), "retry later");
        assertEquals(SessionRefusedException.DECODE_LOAD, refused.reason());
        assertTrue(refused.getMessage().startsWith("decoding is at capacity: live sessions need 0.9"), refused.getMessage());
        assertTrue(refused.getMessage().contains("earshot.admission.max-load") && refused.getMessage().contains("retry later"),
                refused.getMessage());
        assertEquals(1, admission.refused());

        admission.released(second);
        run(admission, 0.5, first);
        assertDoesNotThrow(() -> admission.admit(new Scripted("p", "whip", 0.45)), "room again once one ended");
    }

    @Test
    void nothingIsRefusedBeforeAnythingWasMeasured() {
        DecodeAdmission admission = admission(1);
        for (int i = 0; i < 5; i++) {
            admission.admit(new Scripted("p", "vosk:" + i, 0.45));
        }
        now += TICK;
        admission.sample(now);
        assertDoesNotThrow(() -> admission.admit(new Scripted("p", "vosk:x", 0.45)), "no audio decoded yet: warm-up");
    }

    @Test
    void sessionsOpenedBetweenTwoSamplesCountAsContinuousStreams() {
        DecodeAdmission admission = admission(2);
        Scripted first = new Scripted("p", "vosk:1", 0.45);
        admission.admit(first);
        run(admission, 3, first);
        // A burst, no sample in between: each new one counts as a continuous stream (0.45 plus overhead, 0.46).
        admission.admit(new Scripted("p", "vosk:2", 0.45));
        admission.admit(new Scripted("p", "vosk:3", 0.45));
        admission.admit(new Scripted("p", "vosk:4", 0.45));
        assertThrows(SessionRefusedException.class, () -> admission.admit(new Scripted("p", "vosk:5", 0.45)),
                "five streams of 0.46 do not fit two threads");
    }

    @Test
    void gatedQuietSessionsCostLittleSoMoreOfThemAreAdmittedThanContinuousOnes() {
        DecodeAdmission admission = admission(1);
        Scripted[] quiet = new Scripted[6];
        for (int i = 0; i < quiet.length; i++) {
            quiet[i] = new Scripted("p", "whip", 0.45);
            quiet[i].speech = 0.1;
            admission.admit(quiet[i]);
        }
        run(admission, 4, quiet);
        // Six gated sessions with 10% speech: 6 x (0.045 + 0.01) = 0.33; one more continuous stream: 0.46.
        assertEquals(0.33, admission.load(), 0.03);
        assertDoesNotThrow(() -> admission.admit(new Scripted("p", "whip", 0.45)));
    }

    @Test
    void aLiveSessionBehindRealTimeRefusesNewOnesOnlyWhenItStaysBehind() {
        DecodeAdmission admission = admission(4);
        Scripted session = new Scripted("p", "vosk:1", 0.2);
        admission.admit(session);
        run(admission, 2, session);
        session.lag = 3;
        run(admission, 0.25, session);
        assertDoesNotThrow(() -> admission.check("p", "wyoming:2"), "one sample behind may be a hiccup");
        run(admission, 0.25, session);
        SessionRefusedException refused = assertThrows(SessionRefusedException.class, () -> admission.check("p", "wyoming:2"));
        assertTrue(refused.getMessage().contains("live sessions are 3.00 s behind real time (earshot.admission.max-lag is 2.00 s)"),
                refused.getMessage());
        session.lag = 0.5;
        run(admission, 0.25, session);
        assertDoesNotThrow(() -> admission.check("p", "wyoming:2"), "caught up again");
    }

    @Test
    void uploadsAndCaptureSourcesAreNeverRefusedAndUploadsAreNotCounted() {
        DecodeAdmission admission = admission(1);
        Scripted upload = new Scripted("p", "api:transcribe", 0.9);
        Scripted live = new Scripted("p", "vosk:1", 0.45);
        admission.admit(upload);
        admission.admit(live);
        run(admission, 3, upload, live);
        assertEquals(0.46, admission.load(), 0.02, "the upload is not in the load");
        // The pipeline's continuous cost mixes both sessions' recognizers: between 0.45 and 0.9.
        assertThrows(SessionRefusedException.class, () -> admission.check("p", "whip"));
        assertDoesNotThrow(() -> admission.admit(new Scripted("p", "api:transcribe", 0.9)), "uploads wait instead");
        assertDoesNotThrow(() -> admission.admit(new Scripted("p", "microphone", 0.45)), "the operator's own source");
        assertDoesNotThrow(() -> admission.admit(new Scripted("p", "file:/x.wav", 0.45)));
    }

    @Test
    void disabledAdmitsEverything() {
        DecodeAdmission admission = new DecodeAdmission(new AdmissionSettings(false, 1.0, Duration.ofSeconds(2)), 1);
        Scripted first = new Scripted("p", "vosk:1", 0.9);
        admission.admit(first);
        run(admission, 3, first);
        first.lag = 10;
        run(admission, 1, first);
        assertDoesNotThrow(() -> admission.admit(new Scripted("p", "vosk:2", 0.9)));
    }

    @Test
    void settingsOutOfRangeNameTheirKey() {
        GatewayConfigException load = assertThrows(GatewayConfigException.class,
                () -> new AdmissionSettings(true, 0, Duration.ofSeconds(2)));
        assertTrue(load.getMessage().contains("earshot.admission.max-load: 0.0 is not valid"), load.getMessage());
        GatewayConfigException lag = assertThrows(GatewayConfigException.class,
                () -> new AdmissionSettings(true, 1, Duration.ofMillis(50)));
        assertTrue(lag.getMessage().contains("earshot.admission.max-lag: 50 ms is not valid"), lag.getMessage());
    }
}
