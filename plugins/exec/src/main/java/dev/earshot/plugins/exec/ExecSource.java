package dev.earshot.plugins.exec;

import dev.earshot.process.Backoff;
import dev.earshot.process.ChildProcesses;
import dev.earshot.process.ProcessSpec;
import dev.earshot.spi.audio.AudioFormat;
import dev.earshot.spi.audio.AudioFrame;
import dev.earshot.audio.Wav;
import dev.earshot.spi.source.AudioSession;
import dev.earshot.spi.source.CaptureSource;
import dev.earshot.spi.source.Pacing;
import dev.earshot.spi.source.SourceContext;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static java.lang.System.Logger.Level.INFO;
import static java.lang.System.Logger.Level.WARNING;

/**
 * Runs a program that writes audio to its stdout (raw s16le, or a WAV stream) and feeds it to one session per run.
 * One supervisor thread owns the program: it starts it, reads its stdout into frames of {@code frame} length
 * (a {@link Pacing#PACED} session holds the program back through the pipe; a {@link Pacing#LIVE} one drops the
 * oldest frames), ends the session when stdout ends, and starts the program again after a back-off that doubles from
 * {@code restart-backoff-min} up to {@code restart-backoff-max} (back to the minimum after a run of a minute).
 * A run that ends without a single byte of audio is logged as an error naming the command and its exit code.
 * Each run opens a session (an empty one, ended at once, for a run without audio), so runs and restarts show in the
 * pipeline's session counters.
 */
final class ExecSource implements CaptureSource {

    private static final Duration HEALTHY_AFTER = Duration.ofSeconds(60);
    private static final long JOIN_MILLIS = 5000;

    private final String id;
    private final Program program;
    private final String format;
    private final AudioFormat rawFormat;
    private final Duration frame;
    private final Pacing pacing;
    private final String restart;
    private final System.Logger logger;

    private final Object lock = new Object();
    private volatile boolean closing;
    private Thread supervisor;
    private Process process;
    private AudioSession session;
    private volatile int runs;

    ExecSource(String id, Program program, String format, AudioFormat rawFormat, Duration frame, Pacing pacing,
               String restart, System.Logger logger) {
        this.id = id;
        this.program = program;
        this.format = format;
        this.rawFormat = rawFormat;
        this.frame = frame;
        this.pacing = pacing;
        this.restart = restart;
        this.logger = logger;
    }

    /** How many times the program was started. */
    int runs() {
        return runs;
    }

    @Override
    public void start(SourceContext context) {
        synchronized (lock) {
            if (supervisor != null || closing) {
                throw new IllegalStateException("exec source '" + id + "' is already started or closed");
            }
            supervisor = new Thread(() -> supervise(context), "earshot-exec-source-" + id);
            supervisor.setDaemon(true);
            supervisor.start();
        }
    }

    private void supervise(SourceContext context) {
        Backoff backoff = new Backoff(program.backoffMin(), program.backoffMax(), HEALTHY_AFTER);
        try {
            while (!closing) {
                long started = System.nanoTime();
                String outcome;
                boolean failed;
                Process child;
                try {
                    child = program.spec().start();
                } catch (IOException e) {
                    child = null;
                    logger.log(WARNING, "exec source '" + id + "': cannot start " + program.spec().describe() + ": "
                            + e.getMessage() + " (check earshot.sources." + id + ".command)");
                }
                if (child == null) {
                    outcome = "could not start";
                    failed = true;
                } else {
                    runs++;
                    synchronized (lock) {
                        process = child;
                    }
                    if (closing) {
                        ChildProcesses.kill(child, program.stopTimeout().toMillis());
                        break;
                    }
                    long bytes = pump(context, child);
                    if (closing) {
                        break;
                    }
                    child.getOutputStream().close();
                    if (!child.waitFor(program.stopTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
                        ChildProcesses.kill(child, program.stopTimeout().toMillis());
                    }
                    int code = child.isAlive() ? -1 : child.exitValue();
                    failed = code != 0 || bytes == 0;
                    outcome = (code == -1 ? "closed its stdout" : ProcessSpec.exitText(code))
                            + (bytes == 0 ? " without writing any audio (its stderr is in the log above)" : " after " + bytes + " bytes of audio");
                }
                long lived = System.nanoTime() - started;
                if ("never".equals(restart) || ("on-failure".equals(restart) && !failed)) {
                    logger.log(failed ? WARNING : INFO, "exec source '" + id + "': " + program.spec().describe() + " "
                            + outcome + "; not restarted (restart=" + restart + ")");
                    break;
                }
                long wait = backoff.afterRun(lived);
                logger.log(failed ? WARNING : INFO, "exec source '" + id + "': " + program.spec().describe() + " "
                        + outcome + " after " + TimeUnit.NANOSECONDS.toMillis(lived) + " ms; restarting in "
                        + TimeUnit.NANOSECONDS.toMillis(wait) + " ms (run " + runs + ")");
                TimeUnit.NANOSECONDS.sleep(wait);
            }
        } catch (InterruptedException e) {
            // closing
        } catch (IOException e) {
            logger.log(WARNING, "exec source '" + id + "': " + e.getMessage());
        } catch (RuntimeException e) {
            logger.log(WARNING, "exec source '" + id + "' stopped: " + e, e);
        }
    }

    /** Reads one run's stdout into one session; returns the bytes of audio read. */
    private long pump(SourceContext context, Process run) throws InterruptedException {
        long bytes = 0;
        BufferedInputStream stdout = new BufferedInputStream(run.getInputStream(), 65536);
        AudioSession opened = null;
        try (stdout) {
            AudioFormat audioFormat = rawFormat;
            InputStream pcm = stdout;
            boolean wav = "wav".equals(format) || ("auto".equals(format) && startsWithRiff(stdout));
            if (wav) {
                Wav.Header header = Wav.readHeader(stdout);
                audioFormat = header.format();
                pcm = Wav.pcm16(stdout, header);
            }
            opened = open(context, audioFormat, run, wav);
            if (opened == null) {
                return 0;
            }
            int sampleBytes = audioFormat.bytesPerFrame();
            int frameBytes = Math.max(sampleBytes, audioFormat.bytesFor(frame) / sampleBytes * sampleBytes);
            byte[] buffer = new byte[frameBytes];
            long sequence = 0;
            while (!closing) {
                int read = pcm.readNBytes(buffer, 0, frameBytes);
                int whole = read - read % sampleBytes;
                if (whole == 0) {
                    break;
                }
                bytes += whole;
                AudioFrame audio = AudioFrame.copyOf(audioFormat, buffer, 0, whole, sequence++, Instant.now());
                if (pacing == Pacing.LIVE ? !opened.offer(audio) : !opened.put(audio)) {
                    break;
                }
                if (read < frameBytes) {
                    break;
                }
            }
        } catch (IOException e) {
            if (!closing) {
                logger.log(WARNING, "exec source '" + id + "': reading the audio of " + program.spec().describe()
                        + " (pid " + run.pid() + "): " + e.getMessage() + " (check the format option: " + format + ")");
            }
        } finally {
            if (opened != null) {
                opened.end();
            }
            synchronized (lock) {
                session = null;
            }
        }
        return bytes;
    }

    private AudioSession open(SourceContext context, AudioFormat audioFormat, Process run, boolean wav) {
        AudioSession opened;
        try {
            opened = context.openSession("exec:" + String.join(" ", program.spec().command()), audioFormat, pacing,
                    Map.of("pid", String.valueOf(run.pid()), "run", String.valueOf(runs), "format", wav ? "wav" : "raw"));
        } catch (IllegalStateException e) {
            logger.log(WARNING, "exec source '" + id + "': cannot open a session for run " + runs + ": " + e.getMessage());
            return null;
        }
        synchronized (lock) {
            if (closing) {
                opened.close();
                return null;
            }
            session = opened;
        }
        return opened;
    }

    private static boolean startsWithRiff(BufferedInputStream in) throws IOException {
        in.mark(4);
        byte[] head = in.readNBytes(4);
        in.reset();
        return Arrays.equals(head, new byte[]{'R', 'I', 'F', 'F'});
    }

    @Override
    public void close() {
        Thread thread;
        Process running;
        AudioSession current;
        synchronized (lock) {
            if (closing) {
                return;
            }
            closing = true;
            thread = supervisor;
            running = process;
            current = session;
        }
        if (current != null) {
            current.close();
        }
        if (running != null) {
            ChildProcesses.kill(running, program.stopTimeout().toMillis());
        }
        if (thread != null && thread != Thread.currentThread()) {
            thread.interrupt();
            try {
                thread.join(JOIN_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (thread.isAlive()) {
                logger.log(WARNING, "exec source '" + id + "': supervisor did not stop within " + JOIN_MILLIS + " ms");
            }
        }
    }
}
