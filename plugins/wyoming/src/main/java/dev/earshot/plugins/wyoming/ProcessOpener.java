package dev.earshot.plugins.wyoming;

import dev.earshot.process.ChildProcesses;
import dev.earshot.process.ProcessSpec;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.TimeUnit;

import static java.util.Objects.requireNonNull;

/**
 * Starts the configured Wyoming program as a child process speaking Wyoming on its stdin and stdout; its stderr lines
 * go to the gateway's log ({@link ProcessSpec}).
 */
final class ProcessOpener implements Link.Opener {

    private final ProcessSpec spec;
    private final long stopGraceMillis;

    ProcessOpener(ProcessSpec spec, long stopGraceMillis) {
        this.spec = requireNonNull(spec, "spec is null");
        this.stopGraceMillis = stopGraceMillis;
    }

    @Override
    public String target() {
        return spec.describe();
    }

    @Override
    public Link open() throws IOException {
        return new ProcessLink(spec.start(), stopGraceMillis);
    }

    static final class ProcessLink implements Link {
        private final Process process;
        private final long stopGraceMillis;
        private volatile boolean closed;
        /** The exit code when the process ended by itself, before the gateway stopped it. */
        private volatile Integer exitedByItself;

        ProcessLink(Process process, long stopGraceMillis) {
            this.process = requireNonNull(process, "process is null");
            this.stopGraceMillis = stopGraceMillis;
        }

        long pid() {
            return process.pid();
        }

        @Override
        public InputStream input() {
            return process.getInputStream();
        }

        @Override
        public OutputStream output() {
            return process.getOutputStream();
        }

        @Override
        public String describe() {
            return "process " + process.pid();
        }

        @Override
        public String endReason() {
            Integer code = exitedByItself;
            if (code == null && !closed && !process.isAlive()) {
                code = process.exitValue();
            }
            if (code != null) {
                return ProcessSpec.exitText(code);
            }
            return closed ? "stopped by the gateway" : null;
        }

        @Override
        public void awaitEnd(long millis) throws InterruptedException {
            process.waitFor(millis, TimeUnit.MILLISECONDS);
        }

        @Override
        public synchronized void close() {
            if (closed) {
                return;
            }
            if (!process.isAlive()) {
                exitedByItself = process.exitValue();
            }
            closed = true;
            try {
                process.getOutputStream().close();
            } catch (IOException ignored) {
                // already gone
            }
            ChildProcesses.kill(process, stopGraceMillis);
        }
    }
}
