package dev.earshot.gateway.protocol;

import dev.earshot.gateway.SpeechFixtures;
import dev.earshot.gateway.protocol.voskserver.VoskEndpoint;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * vosk-server clients that rely on vosk-server's defaults, with a vosk-server client that is not Earshot code: no
 * {@code config} means 8000 Hz (vosk-server's VOSK_SAMPLE_RATE default), numbers may come as strings, and
 * {@code model} chooses the pipeline (or the engine) instead of being ignored.
 */
@QuarkusTest
class VoskServerDropInTest {

    private static final int CHUNK = 8000;

    @Inject
    VoskEndpoint endpoint;

    private String uri() {
        return "ws://127.0.0.1:" + endpoint.port() + "/";
    }

    @Test
    void anEightKilohertzClientWithoutConfigIsUnderstoodAsVoskServerWouldUnderstandIt() throws Exception {
        SpeechFixtures.WerTally tally = new SpeechFixtures.WerTally("transcript (8 kHz, no config message)");
        for (Map.Entry<String, String> clip : SpeechFixtures.librivoxReferences().entrySet()) {
            Path wav = SpeechFixtures.soxVariant("vosk-8k", clip.getKey(), "-r", "8000");
            List<JsonObject> replies = ThirdPartyClients.run("vosk_client.py", uri(), "stream", String.valueOf(CHUNK), "",
                    wav.toString());
            assertEquals(1000, replies.remove(replies.size() - 1).getInteger("closed"), "closed normally: " + replies);
            tally.add(clip.getKey(), clip.getValue(), ThirdPartyClients.voskFinals(replies));
        }
        System.out.print(tally.report("8 kHz LibriVox without a config message"));
        assertTrue(tally.wer() <= 15.0, "WER " + tally.wer() + "% above 15%: the default rate is not 8000 Hz");
    }

    @Test
    void numbersAsStringsAreTakenAsVoskServerTakesThem() throws Exception {
        Map.Entry<String, String> clip = SpeechFixtures.librivoxReferences().entrySet().iterator().next();
        List<JsonObject> replies = ThirdPartyClients.run("vosk_client.py", uri(), "stream", String.valueOf(CHUNK),
                "{\"config\": {\"sample_rate\": \"16000\", \"max_alternatives\": \"0\", \"words\": \"true\"}}",
                SpeechFixtures.LIBRIVOX.resolve(clip.getKey()).toString());
        assertEquals(1000, replies.remove(replies.size() - 1).getInteger("closed"), "closed normally: " + replies);
        String text = ThirdPartyClients.voskFinals(replies);
        assertTrue(SpeechFixtures.wordErrors(clip.getValue(), text) <= 1, "16 kHz given as a string: " + text);
        assertTrue(replies.stream().anyMatch(r -> r.containsKey("result")), "words=\"true\" gives word timings: " + replies);
    }

    @Test
    void theModelKeyChoosesThePipelineOrTheEngineAndAnUnknownOneIsNamed() throws Exception {
        Map.Entry<String, String> clip = SpeechFixtures.librivoxReferences().entrySet().iterator().next();
        String wav = SpeechFixtures.LIBRIVOX.resolve(clip.getKey()).toString();
        for (String model : List.of("default", "vosk")) {
            List<JsonObject> replies = ThirdPartyClients.run("vosk_client.py", uri(), "stream", String.valueOf(CHUNK),
                    "{\"config\": {\"sample_rate\": 16000, \"model\": \"" + model + "\"}}", wav);
            assertEquals(1000, replies.remove(replies.size() - 1).getInteger("closed"), model + ": " + replies);
            String text = ThirdPartyClients.voskFinals(replies);
            assertTrue(SpeechFixtures.wordErrors(clip.getValue(), text) <= 1, model + ": " + text);
        }
        List<JsonObject> replies = ThirdPartyClients.run("vosk_client.py", uri(), "stream", String.valueOf(CHUNK),
                "{\"config\": {\"sample_rate\": 16000, \"model\": \"vosk-model-de-0.21\"}}", wav);
        JsonObject closed = replies.get(replies.size() - 1);
        assertEquals(1007, closed.getInteger("closed"), "an unknown model is refused: " + replies);
        assertTrue(closed.getString("reason", "").contains("vosk-model-de-0.21")
                && closed.getString("reason", "").contains("default"), "the reason names it and what there is: " + closed);
    }
}
