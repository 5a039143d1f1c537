package dev.earshot.webrtc;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Real webrtc-java with the headless audio device module: answering, rejecting, closing, releasing. */
class WebRtcAudioTest {

    private static final AudioPeer.Listener QUIET = new AudioPeer.Listener() {
        @Override
        public void onAudio(short[] samples, int count, int sampleRate) {
        }

        @Override
        public void onEnded(String reason) {
        }
    };

    @Test
    void answersAnOpusOfferWithCandidatesAndReleasesEverythingOnClose() throws Exception {
        WebRtcAudio webrtc = new WebRtcAudio(List.of(), Duration.ofSeconds(3), 96000);
        try {
            assertFalse(webrtc.started(), "nothing native before the first offer");
            AudioPeer peer = webrtc.answer(OpusOfferTest.chromiumOffer(), QUIET).get(20, TimeUnit.SECONDS);
            String answer = peer.answerSdp();
            assertTrue(answer.startsWith("v=0"), answer);
            assertTrue(answer.contains("a=rtpmap:111 opus/48000/2"), answer);
            assertTrue(answer.contains("a=recvonly"), "we only receive: " + answer);
            assertTrue(answer.contains("a=candidate:"), "the answer carries our candidates: " + answer);
            assertTrue(answer.contains("a=fingerprint:"), answer);
            assertTrue(answer.matches("(?s).*\r\na=fmtp:111 [^\r\n]*maxaveragebitrate=96000[;\r].*"),
                    "the answer asks for 96 kbit/s Opus: " + answer);
            assertEquals(1, webrtc.openPeers());
            assertEquals(0, (int) peer.addCandidates("a=mid:0\r\n").get(5, TimeUnit.SECONDS));
            peer.close();
            peer.close();
            awaitNoPeers(webrtc);
            // Read as the connection closed; no media ever flowed, so there is no inbound audio stream to report.
            assertEquals(ReceiveStats.NONE, peer.finalStats().get(5, TimeUnit.SECONDS));
            ExecutionException closed = assertThrows(ExecutionException.class, () -> peer.addCandidates("a=mid:0\r\n").get(5, TimeUnit.SECONDS));
            assertInstanceOf(IllegalStateException.class, closed.getCause());
            assertTrue(webrtc.started());
        } finally {
            webrtc.close();
        }
        assertFalse(webrtc.started(), "disposed");
        assertTrue(Thread.getAllStackTraces().keySet().stream().noneMatch(t -> t.isAlive() && t.getName().equals("earshot-webrtc")),
                "the control thread ended");
    }

    @Test
    void opusBitrateIsAddedToOrReplacedInTheOpusFormatParameters() {
        String withFmtp = "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111 63\r\na=rtpmap:111 opus/48000/2\r\n"
                + "a=fmtp:111 minptime=10;useinbandfec=1\r\na=rtpmap:63 red/48000/2\r\na=fmtp:63 111/111\r\n";
        assertEquals(withFmtp.replace("useinbandfec=1\r\n", "useinbandfec=1;maxaveragebitrate=64000\r\n"),
                WebRtcAudio.withOpusBitrate(withFmtp, 64000));
        String already = withFmtp.replace("minptime=10;", "minptime=10;maxaveragebitrate=20000;");
        assertEquals(withFmtp.replace("useinbandfec=1\r\n", "useinbandfec=1;maxaveragebitrate=64000\r\n"),
                WebRtcAudio.withOpusBitrate(already, 64000));
        String noFmtp = "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 opus/48000/2\r\na=sendonly\r\n";
        assertEquals("v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 opus/48000/2\r\n"
                + "a=fmtp:96 maxaveragebitrate=64000\r\na=sendonly\r\n", WebRtcAudio.withOpusBitrate(noFmtp, 64000));
        String noOpus = "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=rtpmap:0 PCMU/8000\r\n";
        assertEquals(noOpus, WebRtcAudio.withOpusBitrate(noOpus, 64000));
    }

    @Test
    void anOfferThatWebRtcRejectsFailsWithItsReason() throws Exception {
        try (WebRtcAudio webrtc = new WebRtcAudio(List.of(), Duration.ofSeconds(3), 96000)) {
            String broken = OpusOfferTest.chromiumOffer().replace("a=fingerprint:sha-256 3C:4A", "a=fingerprint:sha-256 ZZ:4A");
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> webrtc.answer(broken, QUIET).get(20, TimeUnit.SECONDS));
            assertInstanceOf(OpusOffer.InvalidOfferException.class, e.getCause());
            assertTrue(e.getCause().getMessage().startsWith("the offer was rejected: "), e.getCause().getMessage());
            awaitNoPeers(webrtc);
        }
    }

    private static void awaitNoPeers(WebRtcAudio webrtc) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (webrtc.openPeers() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(0, webrtc.openPeers(), "the native connection is released");
    }
}
