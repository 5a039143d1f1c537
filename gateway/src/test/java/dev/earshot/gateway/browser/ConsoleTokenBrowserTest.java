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
 * With an API token set, the console cannot even read the gateway's state without it, so it asks for it: in real
 * Chromium, the page opens the token form at load with the server's reason; Cancel leaves the page empty; after a
 * reload a wrong token is asked for again; the right one shows the pipelines and the live feed, and is kept for the
 * browser session, so Stop and Start go through without asking.
 */
@QuarkusTest
@TestProfile(SecuredApiTest.WithToken.class)
class ConsoleTokenBrowserTest {

    private static final String TOKEN = SecuredApiTest.TOKEN;

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

            assertEquals(3, page.get("reasons").size(), "asked at load, after the reload, after the wrong token: " + page);
            assertTrue(page.get("reasons").get(0).asText().contains("Authorization: Bearer"), page.toString());
            assertEquals("the bearer token is not accepted here: this call needs earshot.api.token or "
                    + "earshot.api.read-token", page.get("reasons").get(2).asText());
            assertEquals(0, page.get("cardsAfterCancel").asInt(), "without the token the page shows no pipeline");
            assertFalse(page.get("promptedOnStop").asBoolean(), "the token was kept: no prompt for Stop");
            assertEquals("stopped", page.get("stateAfterStop").asText());
            assertFalse(page.get("promptedOnStart").asBoolean(), "no prompt for Start");
            assertEquals("running", page.get("stateAfterStart").asText());
            assertEquals(TOKEN, page.get("stored").asText());
            assertEquals("connected", page.get("feedState").asText(), "the live feed carries the token too");
            assertTrue(Files.size(screenshot) > 1_000, "a screenshot of the token form in " + screenshot);
        } finally {
            given().header("Authorization", "Bearer " + TOKEN).post("/api/pipelines/default/start").then().statusCode(200);
        }
        assertEquals("running", given().header("Authorization", "Bearer " + TOKEN).get("/api/pipelines/default")
                .then().extract().path("state"));
    }
}
