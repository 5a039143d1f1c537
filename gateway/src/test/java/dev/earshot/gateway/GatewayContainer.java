package dev.earshot.gateway;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The gateway's image run by podman as an operator runs it: read-only root filesystem, an API token, the HTTP port
 * published on loopback only ({@code -p 127.0.0.1:PORT:8080}).
 */
public final class GatewayContainer implements AutoCloseable {

    /** An API token as an operator makes one (24 random bytes, hex). */
    public static final String TOKEN = UUID.randomUUID().toString().replace("-", "") + "a1b2c3d4";

    /**
     * A WHIP offer as a browser makes it (audio only, Opus); its fingerprint is never checked because no DTLS happens:
     * the gateway only has to parse it and answer.
     */
    static final String WHIP_OFFER = String.join("\r\n",
            "v=0", "o=- 4611731400430051336 2 IN IP4 127.0.0.1", "s=-", "t=0 0", "a=group:BUNDLE 0",
            "a=msid-semantic: WMS", "m=audio 9 UDP/TLS/RTP/SAVPF 111", "c=IN IP4 0.0.0.0", "a=rtcp:9 IN IP4 0.0.0.0",
            "a=ice-ufrag:Ea3x", "a=ice-pwd:pQ2wvJ0sF6y1uGz5t0Q3bCkL", "a=ice-options:trickle",
            "a=fingerprint:sha-256 6B:8B:5D:EA:59:04:20:23:29:C8:87:1C:CC:87:32:BE:DD:8C:66:A5:8E:50:55:EA:8C:D3:B6:5C:09:5E:D6:BC",
            "a=setup:actpass", "a=mid:0", "a=sendonly", "a=msid:- audio0", "a=rtcp-mux",
            "a=rtpmap:111 opus/48000/2", "a=fmtp:111 minptime=10;useinbandfec=1", "");

    private static final Pattern TEXT = Pattern.compile("\"text\":\"([^\"]*)\"");

    final String name;
    final int port;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private GatewayContainer(String name, int port) {
        this.name = name;
        this.port = port;
    }

    /** {@code podman run -d --read-only -p 127.0.0.1:PORT:8080 -e EARSHOT_API_TOKEN=... [options] IMAGE}. */
    static GatewayContainer start(String image, String... options) throws IOException, InterruptedException {
        int port = PackagedGateway.freePort();
        String name = "earshot-it-" + UUID.randomUUID().toString().substring(0, 8);
        List<String> args = new ArrayList<>(List.of("run", "-d", "--name", name, "--read-only",
                "-p", "127.0.0.1:" + port + ":8080", "-e", "EARSHOT_API_TOKEN=" + TOKEN));
        args.addAll(List.of(options));
        args.add(image);
        Podman.podman(Duration.ofMinutes(2), args.toArray(String[]::new)).assertOk("podman run " + image);
        return new GatewayContainer(name, port);
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    /** Waits until {@code /q/health/ready} answers 200; returns the last body, or fails with the container's log. */
    String awaitReady(Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        HttpResponse<String> last = null;
        while (System.nanoTime() < deadline) {
            try {
                last = client.send(HttpRequest.newBuilder(uri("/q/health/ready")).timeout(Duration.ofSeconds(10)).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (last.statusCode() == 200) {
                    return last.body();
                }
            } catch (IOException e) {
                // not listening yet
            }
            if (!"running".equals(state())) {
                break;
            }
            Thread.sleep(500);
        }
        throw new AssertionError("container " + name + " not ready within " + timeout + " (last: "
                + (last == null ? "no answer" : last.statusCode() + " " + last.body()) + "); log:\n" + logs());
    }

    /** POST /api/transcribe with the token; the reply. */
    HttpResponse<String> transcribe(Path wav) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(uri("/api/transcribe")).timeout(Duration.ofMinutes(3))
                .header("Content-Type", "audio/wav").header("Authorization", "Bearer " + TOKEN)
                .POST(HttpRequest.BodyPublishers.ofFile(wav)).build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> send(HttpRequest request) throws IOException, InterruptedException {
        return client.send(request, HttpResponse.BodyHandlers.ofString());
    }

    /**
     * POSTs {@link #WHIP_OFFER} to {@code /whip/default} with the token: 201 with an Opus answer means webrtc-java's
     * native library loaded in the container (with every library it links) and made its peer-connection factory;
     * then ends the session with DELETE.
     */
    void assertWhipAnswers() throws IOException, InterruptedException {
        HttpResponse<String> answer = send(HttpRequest.newBuilder(uri("/whip/default")).timeout(Duration.ofMinutes(2))
                .header("Content-Type", "application/sdp").header("Authorization", "Bearer " + TOKEN)
                .POST(HttpRequest.BodyPublishers.ofString(WHIP_OFFER)).build());
        if (answer.statusCode() != 201 || !answer.body().contains("a=setup:") || !answer.body().contains("opus/48000")) {
            throw new AssertionError("WHIP offer: " + answer.statusCode() + " " + answer.body() + "\nlog:\n" + logs());
        }
        String location = answer.headers().firstValue("Location").orElseThrow(() -> new AssertionError("no Location"));
        HttpResponse<String> ended = send(HttpRequest.newBuilder(uri(location)).DELETE()
                .header("Authorization", "Bearer " + TOKEN).build());
        if (ended.statusCode() != 200) {
            throw new AssertionError("WHIP DELETE " + location + ": " + ended.statusCode() + " " + ended.body());
        }
    }

    /** The text of the first transcript in an /api/transcribe reply. */
    public static String text(String reply) {
        Matcher matcher = TEXT.matcher(reply);
        if (!matcher.find()) {
            throw new AssertionError("no text in " + reply);
        }
        return matcher.group(1);
    }

    Podman.Result exec(String... command) throws IOException, InterruptedException {
        List<String> args = new ArrayList<>(List.of("exec", name));
        args.addAll(List.of(command));
        return Podman.podman(Duration.ofMinutes(1), args.toArray(String[]::new));
    }

    String state() throws IOException, InterruptedException {
        return Podman.podman(Duration.ofSeconds(30), "inspect", "--format", "{{.State.Status}}", name).output().strip();
    }

    int exitCode() throws IOException, InterruptedException {
        return Integer.parseInt(Podman.podman(Duration.ofSeconds(30), "inspect", "--format", "{{.State.ExitCode}}", name)
                .assertOk("podman inspect").output().strip());
    }

    String logs() throws IOException, InterruptedException {
        return Podman.podman(Duration.ofSeconds(30), "logs", name).output();
    }

    @Override
    public void close() {
        Podman.removeContainer(name);
    }
}
