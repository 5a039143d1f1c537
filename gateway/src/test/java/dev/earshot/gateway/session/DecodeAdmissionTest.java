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
        boolean ending;
        final long opened;

        Scripted(String pipeline, String origin, double cost, long opened) {
            this.pipeline = pipeline;
            this.origin = origin;
            this.cost = cost;
            this.opened = opened;
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

        @Override
        public long openedNanos() {
            return opened;
        }

        @Override
        public boolean ending() {
            return ending;
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

    private void admit(DecodeAdmission admission, Scripted session) {
        admission.admit(session, now);
    }

    private void check(DecodeAdmission admission, String pipeline, String origin) {
        admission.check(pipeline, origin, now);
    }

    private Scripted session(String pipeline, String origin, double cost) {
        return new Scripted(pipeline, origin, cost, now);
    }

    private static DecodeAdmission admission(int threads) {
        return new DecodeAdmission(AdmissionSettings.DEFAULT, threads);
    }

    @Test
    void oneMoreSessionThanTheThreadsCanDecodeIsRefusedAndTheMessageSaysWhy() {
        DecodeAdmission admission = admission(1);
        Scripted first = session("p", "vosk:1", 0.45);
        admit(admission, first);
        run(admission, 3, first);
        Scripted second = session("p", "wyoming:2", 0.45);
        admit(admission, second);
        run(admission, 3, first, second);
        assertEquals(0.9, admission.load(), 0.03, "two streams of 0.45 plus their overhead");

        SessionRefusedException refused = assertThrows(SessionRefusedException.class,
                () -> admit(admission, session("p", "whip", 0.45)));
        assertTrue(refused.retryable(), "retry later");
        assertEquals(SessionRefusedException.DECODE_LOAD, refused.reason());
        assertTrue(refused.getMessage().startsWith("decoding is at capacity: live sessions need 0.9"), refused.getMessage());
        assertTrue(refused.getMessage().contains("earshot.admission.max-load") && refused.getMessage().contains("retry later"),
                refused.getMessage());
        assertEquals(1, admission.refused());

        admission.released(second);
        run(admission, 0.5, first);
        assertDoesNotThrow(() -> admit(admission, session("p", "whip", 0.45)), "room again once one ended");
    }

    @Test
    void nothingIsRefusedBeforeAnythingWasMeasured() {
        DecodeAdmission admission = admission(1);
        for (int i = 0; i < 5; i++) {
            admit(admission, session("p", "vosk:" + i, 0.45));
        }
        now += TICK;
        admission.sample(now);
        assertDoesNotThrow(() -> admit(admission, session("p", "vosk:x", 0.45)), "no audio decoded yet: warm-up");
    }

    @Test
    void sessionsOpenedBetweenTwoSamplesCountAsContinuousStreams() {
        DecodeAdmission admission = admission(2);
        Scripted first = session("p", "vosk:1", 0.45);
        admit(admission, first);
        run(admission, 3, first);
        // A burst, no sample in between: each new one counts as a continuous stream (0.45 plus overhead, 0.46).
        admit(admission, session("p", "vosk:2", 0.45));
        admit(admission, session("p", "vosk:3", 0.45));
        admit(admission, session("p", "vosk:4", 0.45));
        assertThrows(SessionRefusedException.class, () -> admit(admission, session("p", "vosk:5", 0.45)),
                "five streams of 0.46 do not fit two threads");
    }

    @Test
    void sessionsThatSendNoAudioCountAsContinuousOnlyWhileNew() {
        DecodeAdmission admission = admission(1);
        Scripted talking = session("p", "vosk:1", 0.45);
        admit(admission, talking);
        run(admission, 3, talking);
        Scripted waiting = session("p", "whip", 0.45); // a WHIP session whose peer has not connected yet
        admit(admission, waiting);
        assertThrows(SessionRefusedException.class, () -> check(admission, "p", "whip"),
                "while new, the silent one may start talking any moment: 3 x 0.46 > 1");
        run(admission, 2, talking);
        assertEquals(0.46, admission.load(), 0.02, "after two seconds without audio it counts nothing");
        assertDoesNotThrow(() -> check(admission, "p", "whip"));
    }

    @Test
    void sessionsThatAreEndingNeedNoMoreCapacity() {
        DecodeAdmission admission = admission(1);
        Scripted first = session("p", "wyoming:1", 0.45);
        admit(admission, first);
        run(admission, 3, first);
        // Clients that opened a session and were closed at once for bad input, their release still queued.
        for (int i = 0; i < 5; i++) {
            Scripted closing = session("p", "wyoming:bad-" + i, 0.45);
            admit(admission, closing);
            closing.ending = true;
        }
        assertDoesNotThrow(() -> check(admission, "p", "wyoming:2"), "0.46 + 0.46 fits");
        first.ending = true;
        run(admission, 0.25);
        assertEquals(0, admission.load(), 1e-9);
    }

    @Test
    void gatedQuietSessionsCostLittleSoMoreOfThemAreAdmittedThanContinuousOnes() {
        DecodeAdmission admission = admission(1);
        Scripted[] quiet = new Scripted[6];
        for (int i = 0; i < quiet.length; i++) {
            quiet[i] = session("p", "whip", 0.45);
            quiet[i].speech = 0.1;
            admit(admission, quiet[i]);
        }
        run(admission, 4, quiet);
        // Six gated sessions with 10% speech: 6 x (0.045 + 0.01) = 0.33; one more continuous stream: 0.46.
        assertEquals(0.33, admission.load(), 0.03);
        assertDoesNotThrow(() -> admit(admission, session("p", "whip", 0.45)));
    }

    @Test
    void aLiveSessionBehindRealTimeRefusesNewOnesOnlyWhenItStaysBehind() {
        DecodeAdmission admission = admission(4);
        Scripted session = session("p", "vosk:1", 0.2);
        admit(admission, session);
        run(admission, 2, session);
        session.lag = 3;
        run(admission, 0.25, session);
        assertDoesNotThrow(() -> check(admission, "p", "wyoming:2"), "one sample behind may be a hiccup");
        run(admission, 0.25, session);
        SessionRefusedException refused = assertThrows(SessionRefusedException.class, () -> check(admission, "p", "wyoming:2"));
        assertTrue(refused.getMessage().contains("live sessions are 3.00 s behind real time (earshot.admission.max-lag is 2.00 s)"),
                refused.getMessage());
        session.lag = 0.5;
        run(admission, 0.25, session);
        assertDoesNotThrow(() -> check(admission, "p", "wyoming:2"), "caught up again");
    }

    @Test
    void uploadsAndCaptureSourcesAreNeverRefusedAndUploadsAreNotCounted() {
        DecodeAdmission admission = admission(1);
        Scripted upload = session("p", "api:transcribe", 0.9);
        Scripted live = session("p", "vosk:1", 0.45);
        admit(admission, upload);
        admit(admission, live);
        run(admission, 3, upload, live);
        assertEquals(0.46, admission.load(), 0.02, "the upload is not in the load");
        // The pipeline's continuous cost mixes both sessions' recognizers: between 0.45 and 0.9.
        assertThrows(SessionRefusedException.class, () -> check(admission, "p", "whip"));
        assertDoesNotThrow(() -> admit(admission, session("p", "api:transcribe", 0.9)), "uploads wait instead");
        assertDoesNotThrow(() -> admit(admission, session("p", "microphone", 0.45)), "the operator's own source");
        assertDoesNotThrow(() -> admit(admission, session("p", "file:/x.wav", 0.45)));
    }

    @Test
    void disabledAdmitsEverything() {
        DecodeAdmission admission = new DecodeAdmission(new AdmissionSettings(false, 1.0, Duration.ofSeconds(2)), 1);
        Scripted first = session("p", "vosk:1", 0.9);
        admit(admission, first);
        run(admission, 3, first);
        first.lag = 10;
        run(admission, 1, first);
        assertDoesNotThrow(() -> admit(admission, session("p", "vosk:2", 0.9)));
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
