package dev.earshot.gateway;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A real third-party MQTT client: {@code mosquitto_sub} (Debian {@code mosquitto-clients}) as a process, with a
 * persistent session (QoS 1, clean session off), so that it misses nothing while the broker restarts. Collects
 * "topic payload" lines (line-buffered through coreutils' stdbuf) (and, with {@code -d}, its debug lines, which start with "Client").
 */
public final class MqttSubscriber implements AutoCloseable {

    private final Process process;
    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final Thread reader;

    public MqttSubscriber(int port, String clientId, String topic) throws IOException {
        process = new ProcessBuilder("stdbuf", "-oL", "mosquitto_sub", "-h", "127.0.0.1", "-p", String.valueOf(port), "-i", clientId,
                "-c", "-q", "1", "-v", "-d", "-t", topic).redirectErrorStream(true).start();
        reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    lines.add(line);
                }
            } catch (IOException ignored) {
                // process ended
            }
        }, "mosquitto_sub-reader");
        reader.setDaemon(true);
        reader.start();
    }

    /** Lines "topic payload" received so far (mosquitto_sub's own error lines too, if any). */
    public List<String> lines() {
        return lines;
    }

    /** Whether the subscription is in place (mosquitto_sub -d reports the SUBACK). */
    public boolean connected() {
        return lines.stream().anyMatch(line -> line.contains("received SUBACK"));
    }

    public boolean alive() {
        return process.isAlive();
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
        reader.join(2000);
    }
}
