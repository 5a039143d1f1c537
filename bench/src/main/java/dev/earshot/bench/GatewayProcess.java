package dev.earshot.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * What the modes that run the packaged gateway as a process of its own share: free loopback ports, waiting for it to
 * be ready, and its CPU time.
 */
final class GatewayProcess {

    private GatewayProcess() {
    }

    /** A loopback port free at the time of asking. */
    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    /**
     * Waits until {@code /q/health/ready} answers 200, or fails with the gateway's log ({@code work/gateway.log}) when
     * it exits or {@code timeout} passes.
     */
    static void awaitReady(HttpClient http, int port, Process gateway, Path work, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline && gateway.isAlive()) {
            try {
                HttpResponse<Void> ready = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                        + "/q/health/ready")).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.discarding());
                if (ready.statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("the gateway did not become ready; its log:\n"
                + Files.readString(work.resolve("gateway.log")));
    }

    /** utime + stime of a process, in clock ticks (100 per second on Linux). */
    static long cpuTicks(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    }
}
