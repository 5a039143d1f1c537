package dev.earshot.plugins.wyoming;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import static java.util.Objects.requireNonNull;

/** Starts the configured Wyoming program as a child process speaking Wyoming on its stdin and stdout. */
final class ProcessOpener implements Link.Opener {

    private final List<String> command;
    private final Map<String, String> environment;
    private final Path workingDirectory;
    private final long stopGraceMillis;

    ProcessOpener(List<String> command, Map<String, String> environment, Path workingDirectory, long stopGraceMillis) {
        this.command = List.copyOf(command);
        this.environment = Map.copyOf(environment);
        this.workingDirectory = workingDirectory;
        this.stopGraceMillis = stopGraceMillis;
    }

    @Override
    public String target() {
        return "command '" + String.join(" ", command) + "'";
    }

    @Override
    public Link open() throws IOException {
        ProcessBuilder builder = new ProcessBuilder(new ArrayList<>(command));
        builder.environment().putAll(environment);
        if (workingDirectory != null) {
            builder.directory(workingDirectory.toFile());
        }
        // The program's log lines (stderr) go to the gateway's stderr, where its own log goes.
        builder.redirectError(ProcessBuilder.Redirect.INHERIT);
        Process process = builder.start();
        ChildProcesses.register(process);
        return new ProcessLink(process, stopGraceMillis);
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
                return code > 128 ? "exited with code " + code + " (signal " + (code - 128) + ")" : "exited with code " + code;
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

    /** The command as a user wrote it, resolved: a relative program path against the gateway's home. */
    static List<String> command(String program, String args, Function<String, Path> resolve) {
        List<String> command = new ArrayList<>();
        command.add(program.contains(File.separator) ? resolve.apply(program).toString() : program);
        if (args != null && !args.isBlank()) {
            command.addAll(List.of(args.trim().split("\\s+")));
        }
        return command;
    }
}
