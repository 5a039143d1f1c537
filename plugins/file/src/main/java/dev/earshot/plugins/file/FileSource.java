package dev.earshot.plugins.file;

import dev.earshot.spi.PluginException;
import dev.earshot.spi.audio.AudioFormat;
import dev.earshot.spi.audio.AudioFrame;
import dev.earshot.audio.Wav;
import dev.earshot.audio.WavFormatException;
import dev.earshot.spi.source.AudioSession;
import dev.earshot.spi.source.CaptureSource;
import dev.earshot.spi.source.Pacing;
import dev.earshot.spi.source.SourceContext;

import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static java.lang.System.Logger.Level.DEBUG;
import static java.lang.System.Logger.Level.ERROR;
import static java.lang.System.Logger.Level.WARNING;
import static java.util.Objects.requireNonNull;

/**
 * Plays one WAV or raw s16le file into one session, on a reader thread of its own ({@code earshot-file-<name>}).
 *
 * <p>By default the session is {@link Pacing#PACED} and fed with {@link AudioSession#put}, so the file is read as
 * fast as the engine decodes and nothing is dropped. With {@code realtime} the session is {@link Pacing#LIVE}, fed
 * with {@link AudioSession#offer}, and each frame is handed over when its last sample would have been captured by a
 * live device (deadlines are absolute from the start, so the pace does not drift).
 *
 * <p>At the end of the file the session is {@link AudioSession#end() ended}; when the file cannot be read any more
 * the error is logged and the session {@link AudioSession#close() closed}; when the host closes the session the
 * reader stops.
 */
public final class FileSource implements CaptureSource {

    enum Kind { WAV, RAW }

    static final Duration JOIN_TIMEOUT = Duration.ofSeconds(5);
    private static final int READ_BUFFER = 64 * 1024;

    private final String instanceName;
    private final String pathKey;
    private final Path path;
    private final Kind kind;
    private final AudioFormat rawFormat;
    private final Duration frame;
    private final boolean realtime;
    private final System.Logger logger;

    private final Object lock = new Object();
    private boolean started; // guarded by lock
    private Thread reader; // guarded by lock
    private AudioSession session; // guarded by lock
    private volatile boolean closing;
    /** Set once the session was ended or closed, by this source or by the host: nothing more is sent to it. */
    private final AtomicBoolean sessionReleased = new AtomicBoolean();

    FileSource(String instanceName, String pathKey, Path path, Kind kind, AudioFormat rawFormat, Duration frame,
               boolean realtime, System.Logger logger) {
        this.instanceName = requireNonNull(instanceName, "instanceName is null");
        this.pathKey = requireNonNull(pathKey, "pathKey is null");
        this.path = requireNonNull(path, "path is null");
        this.kind = requireNonNull(kind, "kind is null");
        this.rawFormat = requireNonNull(rawFormat, "rawFormat is null");
        this.frame = requireNonNull(frame, "frame is null");
        this.realtime = realtime;
        this.logger = requireNonNull(logger, "logger is null");
    }

    /**
     * Opens and closes the file once, to fail at configuration time; returns the format it will be played in, or
     * null for something that is not a regular file (a named pipe can only be read once).
     */
    AudioFormat check() {
        if (!Files.isRegularFile(path)) {
            return null;
        }
        try (Opened opened = open()) {
            return opened.format();
        } catch (IOException e) {
            throw error(e);
        }
    }

    /** Opens the session and starts the reader thread; the file is read again, in case it changed since create. */
    @Override
    public void start(SourceContext context) {
        requireNonNull(context, "context is null");
        synchronized (lock) {
            if (closing) {
                throw new IllegalStateException("file source '" + instanceName + "' is closed");
            }
            if (started) {
                throw new IllegalStateException("file source '" + instanceName + "' is already started");
            }
            started = true;
        }
        Opened opened;
        try {
            opened = open();
        } catch (IOException e) {
            throw error(e);
        }
        AudioSession opening;
        try {
            opening = requireNonNull(context.openSession("file:" + path, opened.format(),
                    realtime ? Pacing.LIVE : Pacing.PACED, Map.of("path", path.toString())), "openSession returned null");
        } catch (RuntimeException e) {
            closeQuietly(opened);
            throw e;
        }
        boolean closedMeanwhile;
        synchronized (lock) {
            closedMeanwhile = closing;
            if (!closedMeanwhile) {
                session = opening;
                reader = new Thread(() -> read(opened, opening), "earshot-file-" + instanceName);
                reader.setDaemon(true);
                reader.start();
            }
        }
        if (closedMeanwhile) {
            sessionReleased.set(true);
            opening.close();
            closeQuietly(opened);
        }
    }

    /**
     * Stops the reader (interrupting it and waiting up to {@link #JOIN_TIMEOUT} for it to end) and closes the
     * session unless it was already ended. Called on the reader thread itself (e.g. from inside
     * {@link AudioSession#put}), it does not wait: the reader stops as soon as that call returns.
     */
    @Override
    public void close() {
        Thread thread;
        AudioSession current;
        synchronized (lock) {
            closing = true;
            thread = reader;
            current = session;
        }
        if (thread != null && thread != Thread.currentThread()) {
            thread.interrupt();
            boolean interrupted = false;
            try {
                thread.join(JOIN_TIMEOUT.toMillis());
            } catch (InterruptedException e) {
                interrupted = true;
            }
            if (thread.isAlive()) {
                logger.log(WARNING, "reader of " + path + " did not stop within " + JOIN_TIMEOUT.toSeconds()
                        + " s" + (interrupted ? " (close was interrupted)" : ""));
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        if (current != null && sessionReleased.compareAndSet(false, true)) {
            current.close();
        }
    }

    private void read(Opened opened, AudioSession session) {
        AudioFormat format = opened.format();
        int sampleFrameBytes = format.bytesPerFrame();
        int frameBytes = Math.max(sampleFrameBytes, format.bytesFor(frame));
        byte[] buffer = new byte[frameBytes];
        long sequence = 0;
        long sampleFrames = 0;
        long startNanos = System.nanoTime();
        try (InputStream in = opened.pcm()) {
            while (!closing) {
                int read = in.readNBytes(buffer, 0, frameBytes);
                int whole = read - read % sampleFrameBytes;
                if (whole < read) {
                    logger.log(WARNING, path + " ends with " + (read - whole) + " byte(s) that do not make a whole "
                            + sampleFrameBytes + "-byte sample frame of " + format + "; they are ignored");
                }
                if (whole == 0) {
                    break;
                }
                AudioFrame audio = AudioFrame.copyOf(format, buffer, 0, whole, sequence++, Instant.now());
                boolean accepted;
                if (realtime) {
                    sampleFrames += whole / sampleFrameBytes;
                    sleepUntil(startNanos + nanosOf(sampleFrames, format.sampleRate()));
                    if (closing) {
                        return;
                    }
                    accepted = session.offer(audio);
                } else {
                    accepted = session.put(audio);
                }
                if (!accepted) {
                    sessionReleased.set(true);
                    logger.log(DEBUG, "session closed by the host; stopped reading " + path);
                    return;
                }
            }
            if (!closing && sessionReleased.compareAndSet(false, true)) {
                session.end();
            }
        } catch (InterruptedException e) {
            // close() is stopping us
        } catch (IOException | RuntimeException e) {
            if (!closing) {
                logger.log(ERROR, "cannot read " + path + ": " + describe(e) + "; closing its session", e);
                if (sessionReleased.compareAndSet(false, true)) {
                    session.close();
                }
            }
        }
    }

    private Opened open() throws IOException {
        InputStream in = new BufferedInputStream(Files.newInputStream(path), READ_BUFFER);
        try {
            if (kind == Kind.RAW) {
                return new Opened(in, rawFormat);
            }
            Wav.Header header = Wav.readHeader(in);
            if (header.lengthKnown() && Files.isRegularFile(path)) {
                long present = Files.size(path) - header.dataOffset();
                if (header.dataLength() > present) {
                    throw new WavFormatException("truncated WAV: data chunk declares " + header.dataLength()
                            + " bytes, only " + present + " present");
                }
            }
            return new Opened(Wav.pcm16(in, header), header.format());
        } catch (IOException | RuntimeException e) {
            closeQuietly(in);
            throw e;
        }
    }

    private PluginException error(IOException e) {
        if (e instanceof WavFormatException) {
            return new PluginException(pathKey + ": " + path + ": " + e.getMessage(), e);
        }
        return new PluginException(pathKey + ": cannot read file " + path + ": " + describe(e), e);
    }

    private static String describe(Exception e) {
        return e instanceof WavFormatException ? e.getMessage() : IoErrors.describe(e);
    }

    private static void sleepUntil(long deadline) throws InterruptedException {
        long remaining;
        while ((remaining = deadline - System.nanoTime()) > 0) {
            TimeUnit.NANOSECONDS.sleep(remaining);
        }
    }

    /** Nanoseconds of {@code frames} sample frames, without overflow for any realistic length. */
    static long nanosOf(long frames, int sampleRate) {
        return frames / sampleRate * 1_000_000_000L + frames % sampleRate * 1_000_000_000L / sampleRate;
    }

    private static void closeQuietly(Closeable closeable) {
        try {
            closeable.close();
        } catch (IOException ignored) {
            // nothing was written; nothing is lost
        }
    }

    /** An open file: its audio as s16le, and the format of that audio. */
    private record Opened(InputStream pcm, AudioFormat format) implements Closeable {
        @Override
        public void close() throws IOException {
            pcm.close();
        }
    }
}
