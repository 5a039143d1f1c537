package dev.earshot.gateway.api;

import dev.earshot.gateway.PulseAudioServer;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import static io.restassured.RestAssured.when;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;

/**
 * {@code GET /api/devices/audio} lists the capture devices the JDK sees. The JDK enumerates them once per process,
 * on first use, so the sound server is started before anything in this JVM asks.
 */
@QuarkusTest
class DevicesApiTest {

    @Test
    void listsTheCaptureDevicesThereAreNow() throws Exception {
        try (PulseAudioServer pulse = PulseAudioServer.start()) {
            when().get("/api/devices/audio").then().statusCode(200)
                    .body("name", hasItem("default [default]"))
                    .body("find { it.name == 'default [default]' }.takes16BitPcm", equalTo(true))
                    .body("find { it.name == 'default [default]' }.formats.find { it.encoding == 'PCM_SIGNED' && it.bits == 16 && it.byteOrder == 'little-endian' }.sampleRates", equalTo("any"))
                    .body("find { it.name == 'default [default]' }.formats.find { it.encoding == 'PCM_SIGNED' && it.bits == 16 && it.byteOrder == 'little-endian' }.channels", equalTo("1-32"));
        }
    }
}
