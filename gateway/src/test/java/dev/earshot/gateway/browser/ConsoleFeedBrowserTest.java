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

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The console's live feed in real Chromium: filtered by pipeline (SSE {@code /api/events?pipeline=}), and a
 * session's partials shown in one line that settles into the final. The audio is a LibriVox clip uploaded through
 * the page's own form.
 */
@QuarkusTest
class ConsoleFeedBrowserTest {

    private static final String CLIP = "sense_and_sensibility_01_austen_64kb-0930.wav";

    @TestHTTPResource("/")
    URL console;

    @Test
    void partialsSettleIntoTheFinalAndTheFilterKeepsOtherPipelinesOut() throws Exception {
        Path screenshot = BrowserScript.outputDirectory().resolve("console-feed.png");
        Files.deleteIfExists(screenshot);
        BrowserScript.Result result = BrowserScript.run("feed.mjs", Duration.ofSeconds(150), Map.of(),
                console.toString(), "files", SpeechFixtures.LIBRIVOX.resolve(CLIP).toString(), screenshot.toString());
        assertEquals(0, result.exitCode(), result.describe());
        JsonNode page = new ObjectMapper().readTree(result.lastLine());
        String reference = SpeechFixtures.librivoxReferences().get(CLIP);

        assertEquals(0, page.get("filtered").asInt(), "with the feed on pipeline 'files', the upload to 'default' "
                + "shows nothing: " + page);
        assertEquals(1, page.get("lines").size(), "one line for the one session of the second upload: " + page);
        JsonNode line = page.get("lines").get(0);
        assertEquals("final", line.get("type").asText(), page.toString());
        int errors = SpeechFixtures.wordErrors(reference, line.get("text").asText());
        assertTrue(errors <= 1, "the final in the feed '" + line.get("text").asText() + "' against '" + reference + "': "
                + errors + " word errors");
        assertTrue(page.get("result").asText().contains(line.get("text").asText()), "the upload's reply says the same: " + page);
        List<String> history = new ArrayList<>();
        page.get("history").get(line.get("session").asText()).forEach(type -> history.add(type.asText()));
        assertEquals(List.of("partial", "final"), history, "the line showed partials, then settled into the final");
        assertTrue(Files.size(screenshot) > 1_000, "a screenshot of the page in " + screenshot);
    }
}
