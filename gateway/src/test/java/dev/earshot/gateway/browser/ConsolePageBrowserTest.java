package dev.earshot.gateway.browser;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Real headless Chromium opens the console served by the gateway and renders the pipelines the API reports. */
@QuarkusTest
class ConsolePageBrowserTest {

    @TestHTTPResource("/")
    URL console;

    @Test
    void chromiumRendersTheConsoleWithTheConfiguredPipelines() throws Exception {
        Path screenshot = BrowserScript.outputDirectory().resolve("console.png");
        Files.deleteIfExists(screenshot);
        BrowserScript.Result result = BrowserScript.run("open-page.mjs", Duration.ofSeconds(90), Map.of(),
                console.toString(), "#pipelines [data-pipeline]", screenshot.toString());
        assertEquals(0, result.exitCode(), result.describe());
        JsonNode page = new ObjectMapper().readTree(result.lastLine());
        assertEquals("Earshot", page.get("title").asText());
        // The test profile declares the pipeline 'files' (application.properties, %test.).
        assertTrue(page.get("text").asText().contains("files"), result.describe());
        assertTrue(Files.size(screenshot) > 1_000, "a screenshot of the page in " + screenshot);
    }
}
