package dev.earshot.gateway;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The packaged distribution ({@code target/quarkus-app}) run as its own process, as a user runs it:
 * {@code java [options] -jar quarkus-run.jar} from another working directory, listening on loopback.
 */
final class PackagedGateway {

    static final Path APP = Path.of("target/quarkus-app/quarkus-run.jar").toAbsolutePath();

    final Process process;
    final Path log;
    final int port;
    final HttpClient client = HttpClient.newHttpClient();
    /** The API token it was started with ({@code -Dearshot.api.token=}), sent with every request made here; or null. */
    final String token;
    /** The vosk-server and Wyoming ports it was given. */
    final int voskPort;
    final int wyomingPort;

    private PackagedGateway(Process process, Path log, int port, String token, int voskPort, int wyomingPort) {
        this.process = process;
        this.log = log;
        this.port = port;
        this.token = token;
        this.voskPort = voskPort;
        this.wyomingPort = wyomingPort;
    }

    static PackagedGateway launch(Path workDir, Path log, int port, String... options) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Dquarkus.http.port=" + port);
        // The protocol listeners (vosk-server 2700, Wyoming 10300 by default) on free ports too.
        int voskPort = freePort();
        int wyomingPort = freePort();
        command.add("-Dearshot.ingest.vosk.port=" + voskPort);
        command.add("-Dearshot.ingest.wyoming.port=" + wyomingPort);
        command.addAll(List.of(options));
        command.add("-jar");
        command.add(APP.toString());
        Process process = new ProcessBuilder(command).directory(workDir.toFile())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        String token = null;
        for (String option : options) {
            if (option.startsWith("-Dearshot.api.token=")) {
                token = option.substring("-Dearshot.api.token=".length());
            }
        }
        return new PackagedGateway(process, log, port, token, voskPort, wyomingPort);
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    /** A request to the gateway, with its token when it has one. */
    HttpRequest.Builder request(String path) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(uri(path));
        return token == null ? builder : builder.header("Authorization", "Bearer " + token);
    }

    /** Status of a GET, or -1 when nothing answers. */
    int status(String path) throws InterruptedException {
        try {
            return client.send(request(path).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        }
    }

    /** Waits until {@code /q/health/ready} answers 200; returns the last status (200 when ready). */
    int awaitReady(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        int status = -1;
        while (status != 200 && System.nanoTime() < deadline && process.isAlive()) {
            status = status("/q/health/ready");
            if (status != 200) {
                Thread.sleep(200);
            }
        }
        return status;
    }

    HttpRequest upload(Path wav) throws IOException {
        return request("/api/transcribe").header("Content-Type", "audio/wav")
                .POST(HttpRequest.BodyPublishers.ofFile(wav)).build();
    }

    /**
     * POSTs a file on a plain socket from 127.0.0.1 with a Content-Length, {@code Connection: close} (the connection is
     * gone once answered) and the token when there is one; returns the whole answer (status line, headers, body).
     */
    String rawPost(String path, String contentType, Path file) throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.setSoTimeout(90_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: " + contentType
                    + "\r\nContent-Length: " + Files.size(file) + "\r\nConnection: close\r\n"
                    + (token == null ? "" : "Authorization: Bearer " + token + "\r\n") + "\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            try {
                Files.copy(file, out);
                out.flush();
            } catch (IOException e) {
                // answered and closed before the whole body was sent: read the answer
            }
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** The status of an answer returned by {@link #rawPost}, or -1 when there was none. */
    static int answerStatus(String answer) {
        return answer.startsWith("HTTP/1.1 ") ? Integer.parseInt(answer.substring(9, 12)) : -1;
    }

    String output() throws IOException {
        return Files.readString(log);
    }
}
