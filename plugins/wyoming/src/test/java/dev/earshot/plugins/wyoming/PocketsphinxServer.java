package dev.earshot.plugins.wyoming;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/** The PocketSphinx Wyoming program in TCP mode, serving on 127.0.0.1:port. */
final class PocketsphinxServer implements AutoCloseable {

    final int port;
    private final Process process;

    private PocketsphinxServer(int port, Process process) {
        this.port = port;
        this.process = process;
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    static PocketsphinxServer start(int port) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(Speech.PYTHON, Speech.PROGRAM.toString(), "--tcp", Integer.toString(port))
                .redirectErrorStream(true).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        String line = out.readLine();
        if (line == null || !line.startsWith("listening on")) {
            process.destroyForcibly();
            throw new IOException("the Wyoming test server did not start: " + line);
        }
        Thread drain = new Thread(() -> {
            try {
                while (out.readLine() != null) {
                    // keep the pipe empty
                }
            } catch (IOException ignored) {
                // ended
            }
        }, "pocketsphinx-server-output");
        drain.setDaemon(true);
        drain.start();
        return new PocketsphinxServer(port, process);
    }

    /** kill -9. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws InterruptedException {
        kill();
    }
}
