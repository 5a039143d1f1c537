package dev.earshot.gateway.browser;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.earshot.gateway.api.SecuredApiTest;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static io.restassured.RestAssured.when;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * With an API token set, the console asks for it when an action is refused (401) instead of failing silently: in
 * real Chromium, Stop on a pipeline opens the token form with the server's reason; Cancel reports the refusal and
 * changes nothing; a wrong token is asked for again; the right one stops the pipeline and is kept for the browser
 * session, so Start goes through without asking.
 */
@QuarkusTest
@TestProfile(SecuredApiTest.WithToken.class)
class ConsoleTokenBrowserTest {

    private static final String TOKEN = "test-token-1234";

    @TestHTTPResource("/")
    URL console;

    @Test
    void aRefusedActionAsksForTheTokenAndRetries() throws Exception {
        Path screenshot = BrowserScript.outputDirectory().resolve("console-token.png");
        Files.deleteIfExists(screenshot);
        try {
            BrowserScript.Result result = BrowserScript.run("token.mjs", Duration.ofSeconds(120), Map.of(),
                    console.toString(), "default", TOKEN, screenshot.toString());
            assertEquals(0, result.exitCode(), result.describe());
            JsonNode page = new ObjectMapper().readTree(result.lastLine());

            assertEquals(3, page.get("reasons").size(), "asked three times (cancelled, wrong token, right token): " + page);
            assertTrue(page.get("reasons").get(0).asText().contains("Authorization: Bearer"), page.toString());
            assertEquals("the bearer token is not the one set in earshot.api.token", page.get("reasons").get(2).asText());
            assertTrue(page.get("afterCancel").asText().startsWith("Could not stop pipeline default: 401"), page.toString());
            assertEquals("running", page.get("stateAfterCancel").asText(), "cancelling changed nothing");
            assertEquals("stopped", page.get("stateAfterToken").asText());
            assertFalse(page.get("promptedOnStart").asBoolean(), "the token was kept: no prompt for Start");
            assertEquals("running", page.get("stateAfterStart").asText());
            assertEquals(TOKEN, page.get("stored").asText());
            assertTrue(Files.size(screenshot) > 1_000, "a screenshot of the token form in " + screenshot);
        } finally {
            given().header("Authorization", "Bearer " + TOKEN).post("/api/pipelines/default/start").then().statusCode(200);
        }
        assertEquals("running", when().get("/api/pipelines/default").then().extract().path("state"));
    }
}
