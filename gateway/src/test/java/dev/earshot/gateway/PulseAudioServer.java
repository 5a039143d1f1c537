package dev.earshot.gateway;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A private PulseAudio server (Debian {@code pulseaudio}) whose default source is a pipe: a fake microphone that
 * carries whatever the test writes, for {@code javax.sound.sampled} in this JVM, which reaches it through ALSA's
 * PulseAudio plugin. The socket is the one {@code PULSE_SERVER} names: the surefire configuration sets it, per
 * build folder, because a JVM cannot change its own environment. Started and killed by the test; never left running.
 */
public final class PulseAudioServer implements AutoCloseable {

    /** The pipe source's format: what {@link #speak} writes. */
    public static final int RATE = 16_000;
    private static final int CHUNK = RATE * 2 / 10; // 100 ms

    private final Path socket;
    private final Path dir;
    private final Path fifo;
    private Process process;
    private OutputStream pipe;

    private PulseAudioServer(Path socket) {
        this.socket = socket;
        this.dir = socket.getParent();
        this.fifo = dir.resolve("mic.fifo");
    }

    /** Starts a server on the socket {@code PULSE_SERVER} names and waits until its fake microphone takes audio. */
    public static PulseAudioServer start() throws IOException, InterruptedException {
        String server = System.getenv("PULSE_SERVER");
        assertNotNull(server, "PULSE_SERVER is not set: run the tests through Maven (the surefire configuration sets it)");
        assertTrue(server.startsWith("unix:"), "PULSE_SERVER names a unix socket: " + server);
        PulseAudioServer pulse = new PulseAudioServer(Path.of(server.substring("unix:".length())));
        pulse.launch();
        return pulse;
    }

    private void launch() throws IOException, InterruptedException {
        Files.createDirectories(dir.resolve("run"));
        Files.deleteIfExists(socket);
        Files.deleteIfExists(fifo);
        Path script = dir.resolve("earshot-test.pa");
        Files.write(script, List.of(
                "load-module module-native-protocol-unix auth-anonymous=1 socket=" + socket,
                "load-module module-null-sink",
                "load-module module-pipe-source source_name=earshot_test_mic file=" + fifo
                        + " format=s16le rate=" + RATE + " channels=1",
                "set-default-source earshot_test_mic"));
        ProcessBuilder builder = new ProcessBuilder("pulseaudio", "-n", "-F", script.toString(), "--daemonize=no",
                "--exit-idle-time=-1", "--disable-shm=yes", "--use-pid-file=no", "--log-target=stderr")
                .redirectErrorStream(true).redirectOutput(dir.resolve("pulseaudio.log").toFile());
        builder.environment().put("HOME", dir.toString());
        builder.environment().put("PULSE_RUNTIME_PATH", dir.resolve("run").toString());
        builder.environment().put("XDG_RUNTIME_DIR", dir.resolve("run").toString());
        builder.environment().remove("PULSE_SERVER");
        process = builder.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (!(Files.exists(socket) && Files.exists(fifo))) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                String log = Files.readString(dir.resolve("pulseaudio.log"));
                close();
                fail("pulseaudio did not start (is Debian's pulseaudio installed? .ci/run installs it):\n" + log);
            }
            Thread.sleep(20);
        }
        // The server holds the pipe open for reading, so this does not block.
        pipe = new FileOutputStream(fifo.toFile());
    }

    /** Writes 16 kHz mono s16le audio into the fake microphone at the pace a live microphone would capture it. */
    public void speak(byte[] pcm) throws IOException, InterruptedException {
        long start = System.nanoTime();
        for (int offset = 0; offset < pcm.length; offset += CHUNK) {
            int length = Math.min(CHUNK, pcm.length - offset);
            long due = start + (long) offset / 2 * 1_000_000_000L / RATE;
            long wait = due - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait);
            }
            pipe.write(pcm, offset, length);
            pipe.flush();
        }
    }

    /** Writes silence in real time. */
    public void silence(Duration duration) throws IOException, InterruptedException {
        speak(new byte[(int) (duration.toMillis() * RATE / 1000) * 2]);
    }

    /** The server's own log, for failure messages. */
    public String log() throws IOException {
        return Files.readString(dir.resolve("pulseaudio.log"));
    }

    /** Kills the server (as when a sound server dies or a USB microphone is pulled) and waits for it to exit. */
    @Override
    public void close() throws IOException, InterruptedException {
        try {
            if (pipe != null) {
                pipe.close();
            }
        } catch (IOException ignored) {
            // the server went first
        }
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        }
    }

    /** Kills the server and starts a new one on the same socket. */
    public void restart() throws IOException, InterruptedException {
        close();
        launch();
    }
}
