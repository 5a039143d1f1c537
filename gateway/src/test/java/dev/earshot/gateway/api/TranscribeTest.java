package dev.earshot.gateway.api;

import dev.earshot.gateway.SpeechFixtures;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.vosk.Model;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** POST /api/transcribe on real recorded speech, against the reference text and a plain Vosk loop. */
@QuarkusTest
class TranscribeTest {

    /** 100 ms of 16 kHz mono s16le: the gateway's default frame (earshot.api.frame-duration). */
    private static final int FRAME_BYTES = 3200;

    private static Model model;

    @BeforeAll
    static void loadModel() throws Exception {
        model = new Model(SpeechFixtures.MODEL.toString());
    }

    @AfterAll
    static void closeModel() {
        model.close();
    }

    private static Response transcribe(Path wav) throws Exception {
        return given().contentType("audio/wav").body(Files.readAllBytes(wav))
                .when().post("/api/transcribe")
                .then().statusCode(200).extract().response();
    }

    @Test
    void librivoxClipsMatchTheReferenceAndPlainVoskExactly() throws Exception {
        Map<String, String> references = SpeechFixtures.librivoxReferences();
        assertEquals(5, references.size(), "LibriVox clips in pocketsphinx-testdata");
        SpeechFixtures.WerTally tally = new SpeechFixtures.WerTally("gateway transcript");
        for (Map.Entry<String, String> clip : references.entrySet()) {
            Path wav = SpeechFixtures.LIBRIVOX.resolve(clip.getKey());
            Response response = transcribe(wav);
            String text = response.path("text");
            String plain = SpeechFixtures.plainVosk(model, wav, FRAME_BYTES);
            assertEquals(plain, text, "the pipeline must not alter audio: " + clip.getKey());
            List<Map<String, Object>> result = response.path("result");
            assertEquals(SpeechFixtures.words(text), result.size(), "one timed word per word");
            double previousStart = -1;
            for (Map<String, Object> word : result) {
                double start = ((Number) word.get("start")).doubleValue();
                double end = ((Number) word.get("end")).doubleValue();
                double conf = ((Number) word.get("conf")).doubleValue();
                assertTrue(start >= previousStart && end >= start && conf >= 0 && conf <= 1, "word timing " + word);
                previousStart = start;
            }
            tally.add(clip.getKey(), clip.getValue(), text);
        }
        System.out.print(tally.report("LibriVox 16 kHz through POST /api/transcribe"));
        assertTrue(tally.wer() <= 10.0, "WER " + tally.wer() + "% above 10%");
    }

    @Test
    void resampledAndStereoClipsStayWithinFifteenPercent() throws Exception {
        Map<String, String> references = SpeechFixtures.librivoxReferences();
        String[][] variants = {{"8k", "-r", "8000"}, {"44k1-stereo", "-r", "44100", "-c", "2"}, {"48k", "-r", "48000"}};
        StringBuilder report = new StringBuilder("\n");
        for (String[] variant : variants) {
            SpeechFixtures.WerTally tally = new SpeechFixtures.WerTally("transcript (" + variant[0] + ")");
            for (Map.Entry<String, String> clip : references.entrySet()) {
                Path wav = SpeechFixtures.soxVariant(variant[0], clip.getKey(),
                        java.util.Arrays.copyOfRange(variant, 1, variant.length));
                tally.add(clip.getKey(), clip.getValue(), transcribe(wav).path("text"));
            }
            report.append(tally.summary("LibriVox " + variant[0]));
            assertTrue(tally.wer() <= 15.0, variant[0] + ": WER " + tally.wer() + "% above 15%");
        }
        System.out.print(report);
    }

    @Test
    void corruptOrEmptyBodiesGet400WithAPreciseMessage() throws Exception {
        given().contentType("audio/wav").body("definitely not audio".getBytes())
                .when().post("/api/transcribe")
                .then().statusCode(400).body("status", equalTo(400))
                .body("error", containsString("not a WAV file: expected 'RIFF' at byte 0"));
        byte[] clip = Files.readAllBytes(SpeechFixtures.LIBRIVOX.resolve("sense_and_sensibility_01_austen_64kb-0880.wav"));
        byte[] truncated = java.util.Arrays.copyOf(clip, 30);
        given().contentType("audio/wav").body(truncated)
                .when().post("/api/transcribe")
                .then().statusCode(400).body("error", containsString("WAV"));
        given().contentType("audio/wav").body(new byte[0])
                .when().post("/api/transcribe")
                .then().statusCode(400).body("error", containsString("empty body"));
    }

    /** The head of an upload one byte over earshot.api.max-upload-size (50M) is refused before any body is sent. */
    @Test
    void overSizeBodiesGet413() throws Exception {
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", io.restassured.RestAssured.port)) {
            socket.setSoTimeout(10_000);
            String head = "POST /api/transcribe HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: audio/wav\r\n"
                    + "Content-Length: " + (50L * 1024 * 1024 + 1) + "\r\n\r\n";
            socket.getOutputStream().write(head.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            String statusLine = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(),
                    java.nio.charset.StandardCharsets.US_ASCII)).readLine();
            assertEquals("HTTP/1.1 413 Request Entity Too Large", statusLine);
        }
    }

    @Test
    void unknownPipelineGets404NamingTheAvailableOnes() throws Exception {
        given().contentType("audio/wav").queryParam("pipeline", "nope")
                .body(Files.readAllBytes(SpeechFixtures.LIBRIVOX.resolve("sense_and_sensibility_01_austen_64kb-0880.wav")))
                .when().post("/api/transcribe")
                .then().statusCode(404).body("error", equalTo("unknown pipeline 'nope' (available: default, files)"));
    }

    @Test
    void unsupportedContentTypeGets415() {
        given().contentType("text/plain").header("X-Earshot-Request", "1").body("hello")
                .when().post("/api/transcribe")
                .then().statusCode(415);
        // Without the marker, a text/plain POST is what any web page can send cross-site: refused before it is read.
        given().contentType("text/plain").body("hello")
                .when().post("/api/transcribe")
                .then().statusCode(403).body("error", org.hamcrest.Matchers.containsString("X-Earshot-Request"));
    }
}
