package dev.earshot.plugins.microphone;

import dev.earshot.spi.PluginException;
import dev.earshot.spi.audio.AudioFormat;
import dev.earshot.spi.audio.AudioFrame;
import dev.earshot.spi.source.AudioSession;
import dev.earshot.spi.source.CaptureSource;
import dev.earshot.spi.source.Pacing;
import dev.earshot.spi.source.SourceContext;

import javax.sound.sampled.LineUnavailableException;
import javax.sound.sampled.TargetDataLine;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static java.lang.System.Logger.Level.DEBUG;
import static java.lang.System.Logger.Level.INFO;
import static java.lang.System.Logger.Level.WARNING;
import static java.util.Objects.requireNonNull;

/**
 * Captures one device into one {@link Pacing#LIVE} session at a time, on a capture thread of its own
 * ({@code earshot-microphone-<instance>}).
 *
 * <h2>Hand-off</h2>
 * The capture thread reads one frame at a time from the device's line (the only call that blocks, on the device)
 * and hands it to the session with {@link AudioSession#offer}, which never blocks: when the pipeline is slower than
 * the device, the session's bounded queue drops its oldest frame and counts it. Nothing else runs on that thread
 * and nothing is created per frame but the frame itself.
 *
 * <h2>Failures</h2>
 * When the device fails or disappears (a read returns short: unplugged, sound server gone), the session is
 * {@link AudioSession#end() ended} (the audio captured so far gets its final transcript), the line is closed, and
 * the device is looked up and opened again after {@code retry-delay}, doubling up to {@code max-retry-delay}, until
 * it works or the source is closed; then a new session starts. When the gateway ends or closes the session (an API
 * call, a pipeline stop), a new one is opened the same way. A device that is missing or cannot be opened when the
 * source starts fails {@link #start}, so the pipeline does not start and its error names the devices there are.
 *
 * <h2>Close</h2>
 * {@link #close()} stops the line (which returns a blocked read at once), ends the session, and joins the capture
 * thread (up to {@link #JOIN_TIMEOUT}); the line is closed on every path.
 */
public final class MicrophoneSource implements CaptureSource {

    /** The checked options of one source (see {@link MicrophoneSourceFactory}). */
    record Settings(String device, String deviceKey, AudioFormat format, Duration frame, Duration buffer,
                    Duration retryDelay, Duration maxRetryDelay) {
        Settings {
            requireNonNull(deviceKey, "deviceKey is null");
            requireNonNull(format, "format is null");
            requireNonNull(frame, "frame is null");
            requireNonNull(buffer, "buffer is null");
            requireNonNull(retryDelay, "retryDelay is null");
            requireNonNull(maxRetryDelay, "maxRetryDelay is null");
        }

        int frameBytes() {
            return Math.max(format.bytesPerFrame(), format.bytesFor(frame));
        }

        int bufferBytes() {
            return Math.max(2 * frameBytes(), format.bytesFor(buffer));
        }

        javax.sound.sampled.AudioFormat lineFormat() {
            return new javax.sound.sampled.AudioFormat(format.sampleRate(), 16, format.channels(), true, false);
        }

        /** The delay before attempt {@code failures + 1}: retry-delay doubling per failure, up to the maximum. */
        Duration backoff(int failures) {
            Duration delay = retryDelay;
            for (int i = 1; i < failures && delay.compareTo(maxRetryDelay) < 0; i++) {
                delay = delay.multipliedBy(2);
            }
            return delay.compareTo(maxRetryDelay) > 0 ? maxRetryDelay : delay;
        }
    }

    static final Duration JOIN_TIMEOUT = Duration.ofSeconds(5);

    private enum Outcome { CLOSING, SESSION_GONE, DEVICE_FAILED }

    private final String instanceName;
    private final Settings settings;
    private final System.Logger logger;

    private final Object lock = new Object();
    private boolean started; // guarded by lock
    private Thread thread; // guarded by lock
    private volatile boolean closing;
    private final CountDownLatch closeSignal = new CountDownLatch(1);
    /** The line being read, so that close() can stop a blocked read. */
    private volatile TargetDataLine currentLine;
    /** Why the last capture ended, for the log. Capture thread only. */
    private String failure;

    MicrophoneSource(String instanceName, Settings settings, System.Logger logger) {
        this.instanceName = requireNonNull(instanceName, "instanceName is null");
        this.settings = requireNonNull(settings, "settings is null");
        this.logger = requireNonNull(logger, "logger is null");
    }

    /** The name of the capture thread. */
    public String threadName() {
        return "earshot-microphone-" + instanceName;
    }

    /**
     * Opens the device (so that a missing, busy or unsuitable device fails the pipeline's start with a message
     * naming the devices there are) and starts the capture thread, which opens the session.
     */
    @Override
    public void start(SourceContext context) {
        requireNonNull(context, "context is null");
        synchronized (lock) {
            if (closing) {
                throw new IllegalStateException("microphone source '" + instanceName + "' is closed");
            }
            if (started) {
                throw new IllegalStateException("microphone source '" + instanceName + "' is already started");
            }
            started = true;
        }
        Opened first = openLine();
        logger.log(INFO, "capturing " + first.device() + " at " + settings.format() + ", "
                + settings.frame().toMillis() + " ms frames, line buffer " + first.line().getBufferSize() + " bytes");
        boolean closedMeanwhile;
        synchronized (lock) {
            closedMeanwhile = closing;
            if (!closedMeanwhile) {
                thread = new Thread(() -> run(context, first), threadName());
                thread.setDaemon(true);
                thread.start();
            }
        }
        if (closedMeanwhile) {
            first.line().close();
        }
    }

    /**
     * Stops capture: the line is stopped (a blocked read returns), the capture thread ends its session, closes the
     * line and ends; this waits for it up to {@link #JOIN_TIMEOUT}. Idempotent and thread-safe; called on the
     * capture thread itself it does not wait.
     */
    @Override
    public void close() {
        Thread capture;
        synchronized (lock) {
            closing = true;
            capture = thread;
        }
        closeSignal.countDown();
        TargetDataLine line = currentLine;
        if (line != null) {
            line.stop();
        }
        if (capture == null || capture == Thread.currentThread()) {
            return;
        }
        capture.interrupt();
        boolean interrupted = false;
        try {
            capture.join(JOIN_TIMEOUT.toMillis());
        } catch (InterruptedException e) {
            interrupted = true;
        }
        if (capture.isAlive()) {
            logger.log(WARNING, "capture thread " + capture.getName() + " did not stop within "
                    + JOIN_TIMEOUT.toSeconds() + " s" + (interrupted ? " (close was interrupted)" : "")
                    + "; closing its line");
            TargetDataLine stuck = currentLine;
            if (stuck != null) {
                stuck.close();
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    // ---- capture thread -----------------------------------------------------------------------------------------

    private void run(SourceContext context, Opened first) {
        Opened opened = first;
        int failures = 0;
        try {
            while (!closing) {
                if (opened == null) {
                    try {
                        opened = openLine();
                        logger.log(INFO, "capture device " + opened.device() + " is back");
                    } catch (RuntimeException e) {
                        failures++;
                        Duration delay = settings.backoff(failures);
                        logger.log(WARNING, "cannot open the capture device (attempt " + failures + "): "
                                + e.getMessage() + "; trying again in " + delay.toMillis() + " ms");
                        if (awaitClose(delay)) {
                            break;
                        }
                        continue;
                    }
                }
                AudioSession session;
                try {
                    session = requireNonNull(context.openSession("microphone:" + opened.device().name(),
                            settings.format(), Pacing.LIVE, Map.of("device", opened.device().name(),
                                    "source", instanceName)), "openSession returned null");
                } catch (RuntimeException e) {
                    closeLine(opened);
                    opened = null;
                    failures++;
                    Duration delay = settings.backoff(failures);
                    logger.log(closing ? DEBUG : INFO, "the pipeline refused a session (" + e.getMessage()
                            + "); trying again in " + delay.toMillis() + " ms");
                    if (awaitClose(delay)) {
                        break;
                    }
                    continue;
                }
                long framesBefore = opened.framesRead();
                Outcome outcome;
                try {
                    outcome = capture(opened, session);
                } finally {
                    // Idempotent: also right when the gateway already ended or closed it.
                    session.end();
                    closeLine(opened);
                }
                boolean captured = opened.framesRead() > framesBefore;
                opened = null;
                if (outcome == Outcome.CLOSING) {
                    break;
                }
                failures = captured ? 1 : failures + 1;
                Duration delay = settings.backoff(failures);
                if (outcome == Outcome.SESSION_GONE) {
                    logger.log(DEBUG, "session " + session.id() + " was ended by the gateway; opening a new one in "
                            + delay.toMillis() + " ms");
                } else {
                    logger.log(WARNING, "capture failed: " + failure + "; session " + session.id()
                            + " ended; opening the device again in " + delay.toMillis() + " ms");
                }
                if (awaitClose(delay)) {
                    break;
                }
            }
        } catch (RuntimeException | Error e) {
            logger.log(System.Logger.Level.ERROR, "capture thread failed; no more audio from this source", e);
        } finally {
            if (opened != null) {
                closeLine(opened);
            }
            currentLine = null;
        }
    }

    /** Reads frames into the session until the source closes, the session goes or the device fails. */
    private Outcome capture(Opened opened, AudioSession session) {
        TargetDataLine line = opened.line();
        AudioFormat format = settings.format();
        int frameBytes = settings.frameBytes();
        byte[] buffer = new byte[frameBytes];
        long sequence = 0;
        line.flush();
        line.start();
        currentLine = line; // published after start(): a close() that follows sees it and stops it
        while (!closing) {
            int read = line.read(buffer, 0, frameBytes);
            if (closing) {
                return Outcome.CLOSING;
            }
            if (read < frameBytes) {
                failure = "device " + opened.device() + " delivered " + read + " of " + frameBytes
                        + " bytes (unplugged, or its sound server stopped)";
                return Outcome.DEVICE_FAILED;
            }
            Instant captured = Instant.now().minus(settings.frame());
            if (!session.offer(AudioFrame.copyOf(format, buffer, 0, frameBytes, sequence++, captured))) {
                return Outcome.SESSION_GONE;
            }
            opened.countFrame();
        }
        return Outcome.CLOSING;
    }

    /** Waits for close() up to {@code delay}; true when the source is closing. */
    private boolean awaitClose(Duration delay) {
        try {
            return closeSignal.await(delay.toMillis(), TimeUnit.MILLISECONDS) || closing;
        } catch (InterruptedException e) {
            return true; // only close() interrupts this thread
        }
    }

    // ---- device -------------------------------------------------------------------------------------------------

    /** Finds the device (again: it may have come back under another index) and opens its line. */
    private Opened openLine() {
        javax.sound.sampled.AudioFormat format = settings.lineFormat();
        String key = settings.deviceKey();
        TargetDataLine line;
        CaptureDevices.Device device;
        if (settings.device() == null) {
            line = CaptureDevices.defaultLine(format, key);
            device = new CaptureDevices.Device("default", "the system's default capture device", null);
        } else {
            device = CaptureDevices.select(CaptureDevices.list(), settings.device(), key);
            line = CaptureDevices.line(device, format, key);
        }
        try {
            line.open(format, settings.bufferBytes());
        } catch (LineUnavailableException | IllegalArgumentException | IllegalStateException | SecurityException e) {
            line.close();
            throw new PluginException(key + ": capture device " + device + " cannot be opened for "
                    + CaptureDevices.describe(format) + ": " + e.getMessage()
                    + " (busy with another program, or no permission: the user needs the audio group)", e);
        }
        return new Opened(device, line);
    }

    private void closeLine(Opened opened) {
        if (currentLine == opened.line()) {
            currentLine = null;
        }
        try {
            opened.line().stop();
            opened.line().close();
        } catch (RuntimeException e) {
            logger.log(DEBUG, "closing the line of " + opened.device() + " failed: " + e);
        }
    }

    /** An open line and the device it belongs to; counts the frames read from it. Capture thread only. */
    private static final class Opened {
        private final CaptureDevices.Device device;
        private final TargetDataLine line;
        private long framesRead;

        Opened(CaptureDevices.Device device, TargetDataLine line) {
            this.device = device;
            this.line = line;
        }

        CaptureDevices.Device device() {
            return device;
        }

        TargetDataLine line() {
            return line;
        }

        long framesRead() {
            return framesRead;
        }

        void countFrame() {
            framesRead++;
        }
    }
}
