package com.example.template;

import dev.earshot.spi.PluginException;
import dev.earshot.spi.audio.AudioFormat;
import dev.earshot.spi.audio.AudioFrame;
import dev.earshot.spi.source.AudioSession;
import dev.earshot.spi.source.CaptureSource;
import dev.earshot.spi.source.Pacing;
import dev.earshot.spi.source.SourceContext;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A capture source: reads a file of raw 16 kHz mono s16le audio as one paced session (as fast as it is decoded),
 * on a thread of its own. Replace the reading with your capture. Contract: {@code close()} is idempotent, may be
 * called from the capture thread, and after it returns nothing is called on the session and the thread has ended.
 */
final class TemplateSource implements CaptureSource {

    private static final AudioFormat FORMAT = AudioFormat.SPEECH_16K;

    private final String name;
    private final Path file;
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile Thread thread;
    private volatile AudioSession session;

    TemplateSource(String name, Path file) {
        this.name = name;
        this.file = file;
    }

    @Override
    public void start(SourceContext context) {
        if (!Files.isReadable(file)) {
            throw new PluginException("source '" + name + "': cannot read " + file + "; set path to a raw audio file");
        }
        session = context.openSession("file:" + file, FORMAT, Pacing.PACED, Map.of("file", file.toString()));
        Thread capture = new Thread(this::run, "template-source-" + name);
        capture.setDaemon(true);
        thread = capture;
        capture.start();
    }

    private void run() {
        AudioSession current = session;
        byte[] buffer = new byte[FORMAT.bytesPerSecond() / 10]; // 100 ms
        long sequence = 0;
        try (InputStream in = Files.newInputStream(file)) {
            int read;
            while (!closed.get() && (read = in.readNBytes(buffer, 0, buffer.length)) > 0) {
                int whole = read - read % FORMAT.bytesPerFrame();
                if (!current.put(AudioFrame.copyOf(FORMAT, buffer, 0, whole, sequence++, Instant.now()))) {
                    return; // the host ended or closed the session
                }
            }
        } catch (IOException e) {
            System.getLogger(TemplateSource.class.getName()).log(System.Logger.Level.WARNING,
                    "source '" + name + "': reading " + file + " failed: " + e.getMessage());
        } catch (InterruptedException e) {
            return; // close() interrupts the thread; it ends the session itself
        }
        if (!closed.get()) {
            current.end(); // end of file: the rest is decoded, the final transcript emitted
        }
    }

    @Override
    public void close() {
        boolean first = closed.compareAndSet(false, true);
        Thread capture = thread;
        if (capture != null && capture != Thread.currentThread()) {
            capture.interrupt();
            try {
                capture.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        AudioSession current = session;
        if (first && current != null) {
            current.close();
        }
    }
}
