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

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * In real Chromium, the console's "new pipeline" form sends its spec with PUT /api/pipelines/{name}: a refused spec
 * shows the server's message and adds nothing; a good one adds a running pipeline, which its Delete button removes.
 */
@QuarkusTest
class ConsolePipelineFormBrowserTest {

    @TestHTTPResource("/")
    URL console;

    @Test
    void theFormCreatesAPipelineAndItsDeleteButtonRemovesIt() throws Exception {
        Path screenshot = BrowserScript.outputDirectory().resolve("console-new-pipeline.png");
        Files.deleteIfExists(screenshot);
        try {
            BrowserScript.Result result = BrowserScript.run("new-pipeline.mjs", Duration.ofSeconds(120), Map.of(),
                    console.toString(), "from-form", screenshot.toString());
            assertEquals(0, result.exitCode(), result.describe());
            JsonNode page = new ObjectMapper().readTree(result.lastLine());
            assertTrue(page.get("refused").asText().contains("Could not create pipeline from-form: 400")
                    && page.get("refused").asText().contains("earshot.sinks.form-out.type: unknown sink type 'no-such-sink'"),
                    page.toString());
            assertEquals(0, page.get("cardsAfterRefusal").asInt(), page.toString());
            assertEquals("Pipeline from-form created: running.", page.get("created").asText());
            assertEquals("running", page.get("state").asText());
            assertEquals("added at run time", page.get("origin").asText());
            assertEquals("Pipeline from-form deleted.", page.get("deleted").asText());
            assertTrue(Files.size(screenshot) > 1_000, "a screenshot of the page in " + screenshot);
        } finally {
            given().when().delete("/api/pipelines/from-form");
        }
    }
}
