package dev.earshot.webrtc;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OpusOfferTest {

    static String chromiumOffer() throws IOException {
        try (InputStream in = OpusOfferTest.class.getResourceAsStream("/chromium-offer.sdp")) {
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        }
    }

    @Test
    void acceptsABrowserOffer() throws Exception {
        OpusOffer offer = OpusOffer.parse(chromiumOffer());
        assertEquals("0", offer.audioMid());
        assertEquals(111, offer.opusPayload());
        assertEquals(1, offer.audioSections());
        assertEquals(111, OpusOffer.parse(chromiumOffer().replace("\r\n", "\n")).opusPayload(), "LF line ends too");
    }

    @Test
    void namesWhatIsWrong() throws Exception {
        String offer = chromiumOffer();
        assertProblem("", "empty");
        assertProblem("hello", "first line must be 'v=0'");
        assertProblem(offer.replace("o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n", ""), "no 'o=' line");
        assertProblem(offer.replace("a=mid:0", "mid 0"), "line 16 is not '<letter>=<value>'");
        assertProblem(offer.replace("m=audio", "m=video"), "no audio section");
        assertProblem(offer.replace("opus/48000/2", "speex/16000"), "offers no Opus");
        assertProblem(offer.replace("UDP/TLS/RTP/SAVPF", "RTP/AVP"), "WebRTC needs UDP/TLS/RTP/SAVPF");
        assertProblem(offer.replace("a=sendonly", "a=recvonly"), "is recvonly");
        assertProblem(offer.replace("a=ice-pwd:", "a=x-pwd:"), "no ICE credentials");
        assertProblem(offer.replace("a=fingerprint:", "a=x-fingerprint:"), "no DTLS fingerprint");
        assertProblem(offer.replace("a=mid:0", "a=mid:\u00010"), "control character");
        assertProblem(offer.replace("m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126", "m=audio 9"), "needs '<media> <port>");
        assertProblem(offer.replace("a=mid:0", "a=mid:" + "x".repeat(5000)), "longer than 4096");
    }

    private static void assertProblem(String sdp, String expected) {
        OpusOffer.InvalidOfferException e = assertThrows(OpusOffer.InvalidOfferException.class, () -> OpusOffer.parse(sdp));
        assertTrue(e.getMessage().contains(expected), "'" + e.getMessage() + "' names: " + expected);
    }
}
