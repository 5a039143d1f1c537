package dev.earshot.gateway.api;

import com.sun.net.httpserver.HttpServer;
import dev.earshot.gateway.SpeechFixtures;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Secrets never reach the log or the API: the whole log of a gateway (written to a file from its start) that has an
 * API token, a webhook sink whose URL carries {@code user:password@} and {@code ?key=}, an HMAC secret and an
 * Authorization header, an MQTT sink with credentials and no reachable broker, and TURN credentials, holds none of
 * them after the webhook receiver (a real HTTP server on loopback) answered 401 and the broker stayed away.
 */
@QuarkusTest
@TestProfile(SecretsNotLoggedTest.WithSecrets.class)
class SecretsNotLoggedTest {

    static final String TOKEN = "tok-Zq81-never-in-logs-5521";
    static final List<String> SECRETS = List.of(TOKEN, "hookuser", "HookPass-77aa", "QueryKey-99bb", "HmacSecret-55cc",
            "HeaderToken-11dd", "MqttUrlPass-22ee", "MqttPass-33ff", "IcePass-44gg");
    static final Path LOG = Path.of("target/secrets-not-logged.log").toAbsolutePath();
    static final Path SECRETS_DIR = Path.of("target/secrets-not-logged").toAbsolutePath();
    /** System property carrying the receiver's port from the profile (another class loader) to the test. */
    static final String HOOK_PORT = "secrets-not-logged-test.hook-port";
    static final AtomicInteger HOOK_CALLS = new AtomicInteger();
    static HttpServer receiver;

    /** A free loopback port for the receiver, chosen once per JVM. */
    static synchronized int hookPort() {
        if (Integer.getInteger(HOOK_PORT) == null) {
            System.setProperty(HOOK_PORT, String.valueOf(freePort()));
        }
        return Integer.getInteger(HOOK_PORT);
    }

    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The receiver answers every POST with 401, as a receiver does when the credentials are wrong. */
    @BeforeAll
    static void startReceiver() throws IOException {
        receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", hookPort()), 16);
        receiver.createContext("/hook", exchange -> {
            exchange.getRequestBody().readAllBytes();
            HOOK_CALLS.incrementAndGet();
            byte[] answer = "unauthorized".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(401, answer.length);
            exchange.getResponseBody().write(answer);
            exchange.close();
        });
        receiver.start();
    }

    public static final class WithSecrets implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            int closedPort = freePort(); // nothing listens there: the broker stays away
            try {
                Files.deleteIfExists(LOG);
                Files.createDirectories(SECRETS_DIR);
                Files.writeString(SECRETS_DIR.resolve("hmac.key"), "HmacSecret-55cc");
                Files.writeString(SECRETS_DIR.resolve("mqtt.pass"), "MqttPass-33ff");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return Map.ofEntries(
                    Map.entry("earshot.api.token", TOKEN),
                    Map.entry("quarkus.log.file.enabled", "true"),
                    Map.entry("quarkus.log.file.path", LOG.toString()),
                    Map.entry("quarkus.log.category.\"dev.earshot\".level", "DEBUG"),
                    Map.entry("earshot.pipelines.hooked.engine", "vosk"),
                    Map.entry("earshot.pipelines.hooked.sinks", "alarm"),
                    Map.entry("earshot.sinks.alarm.type", "webhook"),
                    Map.entry("earshot.sinks.alarm.url", "http://hookuser:HookPass-77aa@127.0.0.1:" + hookPort()
                            + "/hook?key=QueryKey-99bb"),
                    Map.entry("earshot.sinks.alarm.secret-file", SECRETS_DIR.resolve("hmac.key").toString()),
                    Map.entry("earshot.sinks.alarm.headers.Authorization", "Bearer HeaderToken-11dd"),
                    Map.entry("earshot.pipelines.brokered.engine", "vosk"),
                    Map.entry("earshot.pipelines.brokered.sinks", "broker"),
                    Map.entry("earshot.sinks.broker.type", "mqtt"),
                    Map.entry("earshot.sinks.broker.url", "mqtt://mquser:MqttUrlPass-22ee@127.0.0.1:" + closedPort),
                    Map.entry("earshot.sinks.broker.username", "mquser"),
                    Map.entry("earshot.sinks.broker.password-file", SECRETS_DIR.resolve("mqtt.pass").toString()),
                    Map.entry("earshot.ingest.whip.ice-servers", "turn:127.0.0.1:3478"),
                    Map.entry("earshot.ingest.whip.ice-username", "iceuser"),
                    Map.entry("earshot.ingest.whip.ice-password", "IcePass-44gg"));
        }
    }

    @AfterAll
    static void stopReceiver() {
        if (receiver != null) {
            receiver.stop(0);
        }
    }

    @Test
    void neitherTheLogNorTheApiShowsASecret() throws Exception {
        byte[] clip = Files.readAllBytes(SpeechFixtures.LIBRIVOX.resolve("sense_and_sensibility_01_austen_64kb-0930.wav"));
        for (String pipeline : List.of("hooked", "brokered")) {
            given().header("Authorization", "Bearer " + TOKEN).contentType("audio/wav").body(clip)
                    .post("/api/transcribe?pipeline=" + pipeline).then().statusCode(200);
        }
        String log = "";
        for (int i = 0; i < 200 && !(log.contains("rejected final transcript") && log.contains("sink 'broker'")); i++) {
            Thread.sleep(100);
            log = Files.exists(LOG) ? Files.readString(LOG) : "";
        }
        assertTrue(HOOK_CALLS.get() >= 1, "the webhook receiver was called");
        assertTrue(log.contains("Earshot is ready"), "the log covers the start:\n" + log);
        assertTrue(log.contains("POST http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook answered 401"),
                "the webhook's 401 is logged with the URL shown safely:\n" + log);
        assertTrue(log.contains("sink 'broker'"), "the MQTT sink's failures are logged:\n" + log);
        List<String> answers = new ArrayList<>();
        for (String path : List.of("/api/pipelines", "/api/plugins", "/api/sessions", "/q/health/ready")) {
            answers.add(given().header("Authorization", "Bearer " + TOKEN).get(path).then().extract().asString());
        }
        for (String secret : SECRETS) {
            assertFalse(log.contains(secret), "'" + secret + "' in the log:\n" + log);
            for (String answer : answers) {
                assertFalse(answer.contains(secret), "'" + secret + "' in an API answer: " + answer);
            }
        }
    }
}
