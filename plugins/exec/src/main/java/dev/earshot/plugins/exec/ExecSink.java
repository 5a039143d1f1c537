package dev.earshot.plugins.exec;

import dev.earshot.json.TranscriptJson;
import dev.earshot.process.Backoff;
import dev.earshot.process.BoundedLineReader;
import dev.earshot.process.ChildProcesses;
import dev.earshot.process.ProcessSpec;
import dev.earshot.spi.sink.DeliveryException;
import dev.earshot.spi.sink.TranscriptSink;
import dev.earshot.spi.transcript.TranscriptEvent;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static java.lang.System.Logger.Level.INFO;
import static java.lang.System.Logger.Level.WARNING;

/**
 * Writes each event as one line of canonical JSON (it carries {@code "id":"<session>-<sequence>"}) to a program's
 * stdin, and returns from {@link #deliver} only when the program answers {@code ack <id>} on its stdout. An answer
 * {@code reject <id> <reason>} is a permanent rejection; no answer within {@code ack-timeout}, or the program dying,
 * fails the delivery as retryable, so the host retries the event and spools finals: acknowledged means delivered.
 *
 * <p>The host calls {@link #deliver} one event at a time, so at most one event awaits its acknowledgement: the
 * in-flight set is bounded at one, and an answer for any other id (a late answer to an event that timed out) is
 * ignored. Lines are bounded by {@code max-line} both ways. The program is started on the first delivery and
 * restarted, after a doubling back-off, on a later delivery once it died; one reader thread per program run reads
 * its answers.
 */
final class ExecSink implements TranscriptSink {

    private static final Duration HEALTHY_AFTER = Duration.ofSeconds(60);

    private final String id;
    private final Program program;
    private final Duration ackTimeout;
    private final int maxLine;
    private final boolean partials;
    private final System.Logger logger;
    private final Backoff backoff;

    private final Object lock = new Object();
    private Run run;
    private long notBeforeNanos;
    private int restarts;
    private boolean closed;

    ExecSink(String id, Program program, Duration ackTimeout, int maxLine, boolean partials, System.Logger logger) {
        this.id = id;
        this.program = program;
        this.ackTimeout = ackTimeout;
        this.maxLine = maxLine;
        this.partials = partials;
        this.logger = logger;
        this.backoff = new Backoff(program.backoffMin(), program.backoffMax(), HEALTHY_AFTER);
    }

    @Override
    public boolean acceptsPartials() {
        return partials;
    }

    /** How many times the program was started again after it died; for tests and logs. */
    int restarts() {
        synchronized (lock) {
            return restarts;
        }
    }

    /** The pid of the running program, or -1. */
    long pid() {
        synchronized (lock) {
            return run == null || !run.process.isAlive() ? -1 : run.process.pid();
        }
    }

    @Override
    public void deliver(TranscriptEvent event) throws Exception {
        byte[] line = (json(event) + "\n").getBytes(StandardCharsets.UTF_8);
        if (line.length - 1 > maxLine) {
            throw new DeliveryException("exec sink '" + id + "': event " + event.id() + " is " + (line.length - 1)
                    + " bytes of JSON, more than max-line (" + maxLine + "); raise earshot.sinks." + id + ".max-line", false);
        }
        Run current = running();
        CompletableFuture<String> answer = new CompletableFuture<>();
        current.await(event.id(), answer);
        try {
            current.stdin.write(line);
            current.stdin.flush();
        } catch (IOException e) {
            current.await(null, null);
            throw new DeliveryException("exec sink '" + id + "': cannot write event " + event.id() + " to "
                    + program.spec().describe() + " (" + current.endText() + ")", true, e);
        }
        String reject;
        try {
            reject = answer.get(ackTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new DeliveryException("exec sink '" + id + "': no 'ack " + event.id() + "' from "
                    + program.spec().describe() + " within " + ackTimeout.toMillis() + " ms (ack-timeout)", true);
        } catch (ExecutionException e) {
            throw new DeliveryException("exec sink '" + id + "': event " + event.id() + " not acknowledged: "
                    + e.getCause().getMessage(), true);
        } finally {
            current.await(null, null);
        }
        if (reject != null) {
            throw new DeliveryException("exec sink '" + id + "': " + program.spec().describe() + " rejected event "
                    + event.id() + ": " + reject, false);
        }
    }

    /** The canonical JSON of an event, the one the other sinks publish. The only place this sink serialises. */
    static String json(TranscriptEvent event) {
        return TranscriptJson.toJson(event);
    }

    /** The live program, started now when it is not running and its back-off has passed. */
    private Run running() throws DeliveryException {
        synchronized (lock) {
            if (closed) {
                throw new DeliveryException("exec sink '" + id + "' is closed", true);
            }
            if (run != null && run.process.isAlive() && !run.ended) {
                return run;
            }
            if (run != null) {
                String end = run.endText();
                long lived = System.nanoTime() - run.startNanos;
                run.close(program.stopTimeout().toMillis());
                run = null;
                restarts++;
                long wait = backoff.afterRun(lived);
                notBeforeNanos = System.nanoTime() + wait;
                logger.log(WARNING, "exec sink '" + id + "': " + program.spec().describe() + " " + end + " after "
                        + TimeUnit.NANOSECONDS.toMillis(lived) + " ms; restarting in " + TimeUnit.NANOSECONDS.toMillis(wait)
                        + " ms (restart " + restarts + ")");
            }
            long wait = notBeforeNanos - System.nanoTime();
            if (wait > 0) {
                throw new DeliveryException("exec sink '" + id + "': " + program.spec().describe()
                        + " is restarting (back-off, " + TimeUnit.NANOSECONDS.toMillis(wait) + " ms left)", true);
            }
            Process process;
            try {
                process = program.spec().start();
            } catch (IOException e) {
                notBeforeNanos = System.nanoTime() + backoff.afterRun(0);
                throw new DeliveryException("exec sink '" + id + "': cannot start " + program.spec().describe() + ": "
                        + e.getMessage() + " (check earshot.sinks." + id + ".command)", true, e);
            }
            run = new Run(process);
            logger.log(INFO, "exec sink '" + id + "': started " + program.spec().describe() + " (pid " + process.pid() + ")");
            return run;
        }
    }

    @Override
    public void close() {
        Run last;
        synchronized (lock) {
            closed = true;
            last = run;
            run = null;
        }
        if (last != null) {
            last.close(program.stopTimeout().toMillis());
        }
    }

    /** One run of the program: its stdin, and the thread that reads its answers. */
    private final class Run {
        final Process process;
        final OutputStream stdin;
        final long startNanos = System.nanoTime();
        volatile boolean ended;
        private String awaitedId;
        private CompletableFuture<String> awaited;

        Run(Process process) {
            this.process = process;
            this.stdin = process.getOutputStream();
            Thread reader = new Thread(this::readAnswers, "earshot-exec-sink-" + id + "-" + process.pid());
            reader.setDaemon(true);
            reader.start();
        }

        synchronized void await(String eventId, CompletableFuture<String> answer) {
            awaitedId = eventId;
            awaited = answer;
            if (answer != null && ended) {
                answer.completeExceptionally(new IOException(endText()));
            }
        }

        private synchronized void answered(String eventId, String reject) {
            if (awaited != null && eventId.equals(awaitedId)) {
                awaited.complete(reject);
            }
        }

        private void readAnswers() {
            InputStream stdout = process.getInputStream();
            BoundedLineReader reader = new BoundedLineReader(stdout, maxLine);
            try (stdout) {
                String line;
                while ((line = reader.readLine()) != null) {
                    if (line.startsWith("ack ") && !reader.lastTruncated()) {
                        answered(line.substring(4).strip(), null);
                    } else if (line.startsWith("reject ")) {
                        String rest = line.substring(7).strip();
                        int space = rest.indexOf(' ');
                        String reason = space < 0 ? "no reason given" : rest.substring(space + 1).strip();
                        answered(space < 0 ? rest : rest.substring(0, space), reason);
                    } else if (!line.isBlank()) {
                        logger.log(WARNING, "exec sink '" + id + "' (pid " + process.pid() + "): ignoring a line that is"
                                + " neither 'ack <id>' nor 'reject <id> <reason>': " + excerpt(line));
                    }
                }
            } catch (IOException e) {
                // the pipe closed: the process ended or was stopped
            }
            try {
                process.waitFor(program.stopTimeout().toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            CompletableFuture<String> pending;
            synchronized (this) {
                ended = true;
                pending = awaited;
            }
            if (pending != null) {
                pending.completeExceptionally(new IOException(program.spec().describe() + " " + endText()));
            }
        }

        String endText() {
            return process.isAlive() ? "closed its stdout" : ProcessSpec.exitText(process.exitValue());
        }

        void close(long graceMillis) {
            try {
                stdin.close();
            } catch (IOException ignored) {
                // already gone
            }
            ChildProcesses.kill(process, graceMillis);
        }
    }

    private static String excerpt(String line) {
        return line.length() <= 200 ? line : line.substring(0, 200) + "...";
    }
}
