package dev.earshot.gateway.protocol;

import dev.earshot.gateway.SpeechFixtures;
import dev.earshot.gateway.protocol.wyomingserver.WyomingServer;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Wyoming STT server with a Wyoming client that is not Earshot code, on real speech in several formats. */
@QuarkusTest
class WyomingServerTest {

    @Inject
    WyomingServer server;

    @Test
    void describeAnswersWithTheEngineAsAnAsrModel() throws Exception {
        List<JsonObject> events = ThirdPartyClients.run("wyoming_client.py", "127.0.0.1", String.valueOf(server.port()), "en");
        JsonObject info = events.get(0);
        assertEquals("info", info.getString("type"));
        JsonObject asr = info.getJsonObject("data").getJsonArray("asr").getJsonObject(0);
        assertEquals("earshot", asr.getString("name"));
        assertEquals(true, asr.getBoolean("installed"));
        assertEquals(true, asr.getBoolean("supports_transcript_streaming"));
        JsonObject model = asr.getJsonArray("models").getJsonObject(0);
        assertEquals("vosk", model.getString("name"));
        assertEquals(new JsonArray().add("en"), model.getJsonArray("languages"));
        assertEquals(true, model.getBoolean("installed"));
        assertTrue(model.getString("version").matches("\\d+\\.\\d+.*"), "plugin version: " + model);
        assertEquals("Alpha Cephei Inc", model.getJsonObject("attribution").getString("name"), "the model's maker: " + model);
        assertEquals("https://alphacephei.com/vosk/models", model.getJsonObject("attribution").getString("url"));
        assertTrue(model.getString("description").startsWith("US English model for mobile Vosk applications (en-us)"),
                "the model's own description: " + model);
    }

    @Test
    void librivoxClipsOnOneConnectionMatchTheReference() throws Exception {
        Map<String, String> references = SpeechFixtures.librivoxReferences();
        List<String> args = new ArrayList<>(List.of("127.0.0.1", String.valueOf(server.port()), "en"));
        references.keySet().forEach(clip -> args.add(SpeechFixtures.LIBRIVOX.resolve(clip).toString()));
        List<String> texts = ThirdPartyClients.wyomingTranscripts(ThirdPartyClients.run("wyoming_client.py", args.toArray(String[]::new)));
        assertEquals(references.size(), texts.size(), "one transcript per request: " + texts);
        SpeechFixtures.WerTally tally = new SpeechFixtures.WerTally("transcript (Wyoming, 16 kHz 16-bit mono)");
        int i = 0;
        for (Map.Entry<String, String> clip : references.entrySet()) {
            tally.add(clip.getKey(), clip.getValue(), texts.get(i++));
        }
        System.out.print(tally.report("LibriVox through Wyoming"));
        assertTrue(tally.wer() <= 10.0, "WER " + tally.wer() + "% above 10%");
    }

    @Test
    void anyRateWidthAndChannelCountIsConverted() throws Exception {
        Map<String, String> references = SpeechFixtures.librivoxReferences();
        // wavpcm: a plain PCM header, which Python's wave module reads (it refuses WAVE_FORMAT_EXTENSIBLE).
        String[][] variants = {
                {"16k-u8", "-b", "8", "-e", "unsigned-integer", "-t", "wavpcm"},
                {"44k1-stereo-s24", "-r", "44100", "-c", "2", "-b", "24", "-t", "wavpcm"},
                {"48k-s32", "-r", "48000", "-b", "32", "-t", "wavpcm"}};
        StringBuilder report = new StringBuilder("\n");
        for (String[] variant : variants) {
            List<String> args = new ArrayList<>(List.of("127.0.0.1", String.valueOf(server.port()), "en"));
            for (String clip : references.keySet()) {
                args.add(SpeechFixtures.soxVariant("wyoming-" + variant[0], clip,
                        java.util.Arrays.copyOfRange(variant, 1, variant.length)).toString());
            }
            List<String> texts = ThirdPartyClients.wyomingTranscripts(ThirdPartyClients.run("wyoming_client.py", args.toArray(String[]::new)));
            SpeechFixtures.WerTally tally = new SpeechFixtures.WerTally("transcript (Wyoming, " + variant[0] + ")");
            int i = 0;
            for (Map.Entry<String, String> clip : references.entrySet()) {
                tally.add(clip.getKey(), clip.getValue(), texts.get(i++));
            }
            report.append(tally.summary("Wyoming " + variant[0]));
            assertTrue(tally.wer() <= 15.0, variant[0] + ": WER " + tally.wer() + "% above 15%: " + texts);
        }
        System.out.print(report);
    }

    @Test
    void unknownEventsAreSkippedAndALanguageTheModelDoesNotSpeakIsRefused() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(10_000);
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            OutputStream out = socket.getOutputStream();
            // Events of other Wyoming services (wake word, intent) are skipped, as the reference servers do.
            out.write(("{\"type\": \"detect\", \"data\": {\"names\": [\"ok_nabu\"]}}\n"
                    + "{\"type\": \"ping\", \"data\": {\"text\": \"one\"}}\n").getBytes(StandardCharsets.UTF_8));
            JsonObject pong = event(in);
            assertEquals("pong", pong.getString("type"), "still connected after an unknown event: " + pong);
            // A regional variant of the model's language is its language.
            out.write(("{\"type\": \"transcribe\", \"data\": {\"language\": \"en-GB\"}}\n"
                    + "{\"type\": \"ping\", \"data\": {\"text\": \"two\"}}\n").getBytes(StandardCharsets.UTF_8));
            assertEquals("pong", event(in).getString("type"), "en-GB is taken by an English model");
            out.write("{\"type\": \"transcribe\", \"data\": {\"language\": \"de\"}}\n".getBytes(StandardCharsets.UTF_8));
            JsonObject error = event(in);
            assertEquals("error", error.getString("type"), error.encode());
            String data = error.getJsonObject("data").encode();
            assertTrue(data.contains("unsupported-language") && data.contains("'de'") && data.contains("en"),
                    "the error names the language and the model's: " + data);
        }
    }

    /** One event: its header line, with the data that follows it ({@code data_length} bytes, ASCII here) merged in. */
    private static JsonObject event(BufferedReader in) throws Exception {
        JsonObject header = new JsonObject(in.readLine());
        int length = header.getInteger("data_length", 0);
        if (length > 0) {
            char[] data = new char[length];
            for (int read = 0; read < length; ) {
                read += in.read(data, read, length - read);
            }
            header.put("data", new JsonObject(new String(data)));
        }
        return header;
    }
}
