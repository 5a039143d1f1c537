package dev.earshot.gateway.browser;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.earshot.gateway.SpeechFixtures;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.restassured.RestAssured.when;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Talk, end to end: real headless Chromium with a fake microphone playing real speech (LibriVox clips, as 48 kHz
 * mono 16-bit WAV with silence around them) opens the console and presses Talk; the page publishes the microphone to
 * the default pipeline over WHIP ({@code POST /whip/default}); the words appear in the page's transcript feed; pressing
 * Talk again ends the session on the server (DELETE on the WHIP resource), and so does leaving the page while talking.
 */
@QuarkusTest
class ConsoleTalkBrowserTest {

    private static final List<String> CLIPS = List.of("sense_and_sensibility_01_austen_64kb-0870.wav",
            "sense_and_sensibility_01_austen_64kb-0930.wav");
    /** Word error rate allowed over the clips: the audio goes through Chromium's capture and Opus. */
    private static final double MAX_WER_PERCENT = 25;

    @TestHTTPResource("/")
    URL console;

    @Test
    void talkShowsTheWordsAndEndsTheSessionWhenPressedAgainOrWhenThePageIsLeft() throws Exception {
        List<String> args = new ArrayList<>();
        StringBuilder reference = new StringBuilder();
        for (String clip : CLIPS) {
            args.add(SpeechFixtures.LIBRIVOX.resolve(clip).toString());
            reference.append(SpeechFixtures.librivoxReferences().get(clip)).append(' ');
        }
        // Chromium's fake capture wants 16-bit WAV; 1.5 s of silence first (the connection is being set up), 3 s after
        // (the recognizer's end of utterance).
        args.addAll(List.of("-r", "48000", "-c", "1", "-b", "16", "OUT", "pad", "1.5", "3"));
        Path microphone = SpeechFixtures.sox("talk-48k-mono.wav", args.toArray(String[]::new)).toAbsolutePath();
        long seconds = Math.round(Files.size(microphone) / 96_000.0);

        Path screenshot = BrowserScript.outputDirectory().resolve("console-talk.png");
        Files.deleteIfExists(screenshot);
        BrowserScript.Result result = BrowserScript.run("talk.mjs", Duration.ofSeconds(seconds + 150), Map.of(),
                console.toString(), "default", microphone.toString(), String.valueOf(seconds), screenshot.toString());
        assertEquals(0, result.exitCode(), result.describe());
        JsonNode page = new ObjectMapper().readTree(result.lastLine());
        assertFalse(page.get("resource").isNull(), "the page got a WHIP resource; its status: " + page.get("statusWhileTalking")
                + "\n" + result.describe());

        List<String> finals = new ArrayList<>();
        page.get("finals").forEach(f -> finals.add(f.asText()));
        String heard = String.join(" ", finals);
        int errors = SpeechFixtures.wordErrors(reference.toString(), heard);
        double wer = 100.0 * errors / SpeechFixtures.words(reference.toString());
        System.out.printf("Talk through Chromium and WHIP: %d errors in %d words, WER %.1f%%: '%s'%n", errors,
                SpeechFixtures.words(reference.toString()), wer, heard);
        assertTrue(wer <= MAX_WER_PERCENT, "the feed shows '" + heard + "' for '" + reference.toString().trim() + "': WER "
                + wer + "% (at most " + MAX_WER_PERCENT + "%)\n" + page);
        assertTrue(heard.contains("amiable"), "the feed shows the words said: " + heard);
        assertFalse(page.get("talkTranscript").asText().isBlank(), "the Talk panel shows what was said: " + page);
        assertTrue(page.get("shownSessions").size() >= 1, "the status view listed the talk session: " + page);

        assertEquals("false", page.get("pressedAfter").asText());
        assertFalse(page.get("statusAfter").asText().contains("failed"), page.get("statusAfter").asText());
        assertNotNull(page.get("leftResource").textValue(), "the page talked a second time: " + page);
        awaitNoSessions(page);
        for (String key : List.of("session", "leftSession")) {
            if (page.get(key).isTextual()) {
                when().get("/api/sessions/" + page.get(key).asText()).then().statusCode(404);
            }
        }
        assertTrue(Files.size(screenshot) > 1_000, "a screenshot of the page in " + screenshot);
    }

    /** Both talk sessions (stopped with the button, and left with the page) are gone from the server. */
    private static void awaitNoSessions(JsonNode page) throws InterruptedException {
        int open = -1;
        for (int i = 0; i < 100; i++) {
            open = when().get("/api/sessions?pipeline=default").then().statusCode(200).extract().path("size()");
            if (open == 0) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError(open + " session(s) still open 10 s after Talk was pressed again and the page was left: "
                + when().get("/api/sessions").asString() + "\n" + page);
    }
}
