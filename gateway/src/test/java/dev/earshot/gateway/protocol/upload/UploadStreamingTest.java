package dev.earshot.gateway.protocol.upload;

import dev.earshot.gateway.SpeechFixtures;
import dev.earshot.gateway.protocol.JvmBaseline;
import dev.earshot.spi.audio.AudioFormat;
import dev.earshot.audio.Wav;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code POST /api/transcribe} decodes the body as it arrives: a body sent in small pieces is transcribed as the whole
 * file is, concurrent maximum-size uploads are answered 200, 413 or 503 within the upload budget, and the heap comes
 * back to where it was. A small size limit (2 MiB) and budget (3 uploads) keep the test quick.
 */
@QuarkusTest
@TestProfile(UploadStreamingTest.SmallLimits.class)
class UploadStreamingTest {

    static final long MAX_UPLOAD = 2L * 1024 * 1024;

    public static final class SmallLimits implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("earshot.api.max-upload-size", "2M", "earshot.api.max-uploads-in-flight", "3");
        }
    }

    @Inject
    TranscribeRoute route;

    /** Three LibriVox clips at 48 kHz stereo, cut to 10.5 s (1.92 MiB): nearly the size limit. */
    private static Path nearMaxSize() throws IOException {
        Path wav = SpeechFixtures.sox("upload-48k-stereo.wav",
                SpeechFixtures.LIBRIVOX.resolve("sense_and_sensibility_01_austen_64kb-0930.wav").toString(),
                SpeechFixtures.LIBRIVOX.resolve("sense_and_sensibility_01_austen_64kb-0880.wav").toString(),
                SpeechFixtures.LIBRIVOX.resolve("sense_and_sensibility_01_austen_64kb-0890.wav").toString(),
                "-r", "48000", "-c", "2", "OUT", "trim", "0", "10.5");
        long size = Files.size(wav);
        assertTrue(size > MAX_UPLOAD * 3 / 4 && size < MAX_UPLOAD, "test file size " + size);
        return wav;
    }

    @Test
    void aBodySentInSmallPiecesIsTranscribedAsTheWholeFileIs() throws Exception {
        Path wav = SpeechFixtures.LIBRIVOX.resolve("sense_and_sensibility_01_austen_64kb-0930.wav");
        byte[] clip = Files.readAllBytes(wav);
        String whole = given().contentType("audio/wav").body(clip).post("/api/transcribe")
                .then().statusCode(200).extract().path("text");
        assertEquals("he might even have been made amiable himself", whole);
        // The header split inside 'RIFF', inside 'fmt ' and inside the first sample; then 1000-byte chunks.
        String reply = chunked(clip, 3, 7, 23, 45, 1000);
        assertTrue(reply.startsWith("HTTP/1.1 200 "), reply);
        assertTrue(reply.contains("\"text\":\"" + whole + "\""), reply);
    }

    @Test
    void aBodyEndingBeforeItsDeclaredAudioGets400() throws Exception {
        byte[] clip = Files.readAllBytes(SpeechFixtures.LIBRIVOX.resolve("sense_and_sensibility_01_austen_64kb-0880.wav"));
        byte[] cut = Arrays.copyOf(clip, clip.length / 2);
        given().contentType("audio/wav").body(cut).post("/api/transcribe").then().statusCode(400)
                .body("error", org.hamcrest.Matchers.startsWith("the body is not a usable WAV file: truncated WAV: data chunk declares"));
        String reply = chunked(cut, 4096);
        assertTrue(reply.startsWith("HTTP/1.1 400 ") && reply.contains("truncated WAV"), reply);
        assertEquals(0, route.budget().uploads(), "budget given back");
    }

    @Test
    void aChunkedBodyOverTheLimitGets413() throws Exception {
        byte[] big = new byte[(int) MAX_UPLOAD + 64 * 1024];
        byte[] head = Wav.header(new AudioFormat(16000, 1), Wav.UNKNOWN_LENGTH);
        System.arraycopy(head, 0, big, 0, head.length);
        String reply = chunked(big, 64 * 1024);
        assertTrue(reply.startsWith("HTTP/1.1 413 "), reply);
        assertTrue(reply.contains("earshot.api.max-upload-size"), reply);
    }

    @Test
    void concurrentMaximumSizeUploadsGet200Or413Or503AndTheHeapComesBack() throws Exception {
        Path wav = nearMaxSize();
        String alone = given().contentType("audio/wav").body(Files.readAllBytes(wav)).post("/api/transcribe")
                .then().statusCode(200).extract().path("text");
        assertTrue(alone.startsWith("he might even have been made amiable himself"), alone);
        byte[] body = Files.readAllBytes(wav);
        // Warm-up: concurrent short uploads start the event loops and decoding threads the run will use.
        byte[] clip = Files.readAllBytes(SpeechFixtures.LIBRIVOX.resolve("sense_and_sensibility_01_austen_64kb-0930.wav"));
        ExecutorService warmUp = Executors.newFixedThreadPool(11);
        List<Future<String>> warm = new ArrayList<>();
        for (int i = 0; i < 11; i++) {
            warm.add(warmUp.submit(() -> withLength(clip)));
        }
        for (Future<String> reply : warm) {
            assertTrue(reply.get(150, TimeUnit.SECONDS).startsWith("HTTP/1.1 "));
        }
        warmUp.shutdown();
        assertTrue(warmUp.awaitTermination(10, TimeUnit.SECONDS));
        long[] baseline = JvmBaseline.measure();
        // Raw sockets on a pool that is shut down before the heap and threads are measured again (same JVM).
        ExecutorService clients = Executors.newFixedThreadPool(11);
        List<Future<String>> uploads = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            uploads.add(clients.submit(() -> withLength(body)));
        }
        Future<String> over = clients.submit(() -> {
            byte[] big = new byte[(int) MAX_UPLOAD + 1];
            System.arraycopy(Wav.header(new AudioFormat(48000, 2), Wav.UNKNOWN_LENGTH), 0, big, 0, Wav.HEADER_SIZE);
            return chunked(big, 32 * 1024);
        });
        Map<Integer, Integer> statuses = new TreeMap<>();
        for (Future<String> upload : uploads) {
            String response = upload.get(150, TimeUnit.SECONDS);
            int status = Integer.parseInt(response.substring(9, 12));
            statuses.merge(status, 1, Integer::sum);
            switch (status) {
                case 200 -> assertTrue(response.contains("\"text\":\"" + alone + "\""), response);
                case 503 -> assertTrue(response.contains("\r\nRetry-After: 5\r\n"), response);
                default -> throw new AssertionError(response);
            }
        }
        String overReply = over.get(60, TimeUnit.SECONDS);
        clients.shutdown();
        assertTrue(clients.awaitTermination(10, TimeUnit.SECONDS));
        assertTrue(overReply.startsWith("HTTP/1.1 413 ") || overReply.startsWith("HTTP/1.1 503 "), overReply);
        System.out.println("10 concurrent uploads of " + Files.size(wav) + " bytes (budget 3): statuses " + statuses
                + "; chunked over-size upload: " + overReply.lines().findFirst().orElse(""));
        assertTrue(statuses.getOrDefault(200, 0) >= 1, "some uploads transcribed: " + statuses);
        assertTrue(statuses.getOrDefault(503, 0) >= 1, "uploads beyond the budget refused: " + statuses);
        for (int i = 0; i < 100 && route.budget().uploads() > 0; i++) {
            Thread.sleep(50);
        }
        assertEquals(0, route.budget().uploads(), "every upload gave its share back");
        assertEquals(0, route.budget().bytes(), "every upload gave its bytes back");
        long[] after = JvmBaseline.measure();
        System.out.println("heap after GC: baseline " + baseline[1] / 1048576 + " MiB, after " + after[1] / 1048576
                + " MiB; threads " + baseline[0] + " -> " + after[0]);
        JvmBaseline.assertBack(baseline, after);
    }

    /** POSTs {@code body} with a Content-Length; returns the whole answer (status line, headers, body). */
    static String withLength(byte[] body) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", RestAssured.port)) {
            socket.setSoTimeout(120_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /api/transcribe HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: audio/wav\r\n"
                    + "Content-Length: " + body.length + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            try {
                out.write(body);
                out.flush();
            } catch (IOException e) {
                // Answered and closed before the whole body was sent: read the answer.
            }
            ByteArrayOutputStream reply = new ByteArrayOutputStream();
            socket.getInputStream().transferTo(reply);
            return reply.toString(StandardCharsets.UTF_8);
        }
    }

    /** POSTs {@code body} with chunked transfer encoding in pieces of the given sizes (the last size repeats). */
    static String chunked(byte[] body, int... pieces) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", RestAssured.port)) {
            socket.setSoTimeout(120_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /api/transcribe HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: audio/wav\r\n"
                    + "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            int at = 0;
            int piece = 0;
            try {
                while (at < body.length) {
                    int size = Math.min(pieces[Math.min(piece++, pieces.length - 1)], body.length - at);
                    out.write((Integer.toHexString(size) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                    out.write(body, at, size);
                    out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    at += size;
                }
                out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
            } catch (IOException e) {
                // The server answered and closed before the whole body was sent (413): read its answer.
            }
            ByteArrayOutputStream reply = new ByteArrayOutputStream();
            socket.getInputStream().transferTo(reply);
            return reply.toString(StandardCharsets.UTF_8);
        }
    }
}
