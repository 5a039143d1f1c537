package dev.earshot.gateway.api;

import dev.earshot.gateway.SpeechFixtures;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static io.restassured.RestAssured.when;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

/** With earshot.api.token set, every API call needs the bearer token. Public: the console test shares its profile. */
@QuarkusTest
@TestProfile(SecuredApiTest.WithToken.class)
public class SecuredApiTest {

    public static final String TOKEN = "test-token-0123456789";

    public static final class WithToken implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("earshot.api.token", TOKEN);
        }
    }

    @Test
    void mutatingCallsWithoutTheTokenGet401() {
        given().header("X-Earshot-Request", "1").post("/api/pipelines/default/stop").then().statusCode(401)
                .header("WWW-Authenticate", containsString("Bearer"))
                .body("error", containsString("Authorization: Bearer"));
        given().header("Authorization", "Bearer wrong").post("/api/pipelines/default/stop").then().statusCode(401)
                .body("error", equalTo("the bearer token is not accepted here: this call needs earshot.api.token"));
        given().delete("/api/sessions/any").then().statusCode(401);
        when().get("/api/pipelines/default").then().statusCode(401);
        when().get("/api/events").then().statusCode(401);
        when().get("/q/metrics").then().statusCode(401);
        given().header("Authorization", "Bearer " + TOKEN).get("/api/pipelines/default").then().statusCode(200)
                .body("state", equalTo("running"));
        when().get("/q/health/ready").then().statusCode(200);
        when().get("/").then().statusCode(200);
    }

    @Test
    void theRightTokenIsAccepted() throws Exception {
        given().header("Authorization", "Bearer " + TOKEN).post("/api/pipelines/default/start")
                .then().statusCode(200).body("state", equalTo("running"));
        byte[] clip = Files.readAllBytes(SpeechFixtures.LIBRIVOX.resolve("sense_and_sensibility_01_austen_64kb-0930.wav"));
        given().contentType("audio/wav").body(clip).post("/api/transcribe").then().statusCode(401);
        given().header("Authorization", "Bearer " + TOKEN).contentType("audio/wav").body(clip)
                .post("/api/transcribe").then().statusCode(200)
                .body("text", equalTo("he might even have been made amiable himself"));
    }
}
