package dev.earshot.process;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import static java.util.Objects.requireNonNull;

/**
 * A program to run: command line, extra environment, working folder, and where its stderr goes. {@link #start()}
 * starts it, registers it with {@link ChildProcesses} (so it dies with the gateway) and copies its stderr, line by
 * line and at most {@code maxLogLine} bytes a line, to {@code logger} on a daemon thread that ends with the stream.
 *
 * @param command          program and arguments
 * @param environment      variables added to the gateway's own
 * @param workingDirectory the folder it runs in, or {@code null} for the gateway's
 * @param logger           where its stderr lines go (level INFO), prefixed with {@code name} and the pid
 * @param name             how log lines name it, e.g. {@code "exec sink 'alerts'"}
 * @param maxLogLine       the longest stderr line logged, in bytes; longer lines are cut and marked
 */
public record ProcessSpec(List<String> command, Map<String, String> environment, Path workingDirectory,
                          System.Logger logger, String name, int maxLogLine) {

    public ProcessSpec {
        command = List.copyOf(requireNonNull(command, "command is null"));
        if (command.isEmpty()) {
            throw new IllegalArgumentException("command is empty");
        }
        environment = Map.copyOf(requireNonNull(environment, "environment is null"));
        requireNonNull(logger, "logger is null");
        requireNonNull(name, "name is null");
        if (maxLogLine < 1) {
            throw new IllegalArgumentException("maxLogLine must be positive: " + maxLogLine);
        }
    }

    /** The command as people read it in messages. */
    public String describe() {
        return "command '" + String.join(" ", command) + "'";
    }

    public Process start() throws IOException {
        ProcessBuilder builder = new ProcessBuilder(new ArrayList<>(command));
        builder.environment().putAll(environment);
        if (workingDirectory != null) {
            builder.directory(workingDirectory.toFile());
        }
        Process process = builder.start();
        ChildProcesses.register(process);
        String prefix = name + " (pid " + process.pid() + "): ";
        Thread pump = new Thread(() -> logLines(process.getErrorStream(), prefix), "earshot-stderr-" + process.pid());
        pump.setDaemon(true);
        pump.start();
        return process;
    }

    private void logLines(InputStream stderr, String prefix) {
        BoundedLineReader reader = new BoundedLineReader(stderr, maxLogLine);
        try (stderr) {
            String line;
            while ((line = reader.readLine()) != null) {
                logger.log(Level.INFO, prefix + line + (reader.lastTruncated() ? " [line cut at " + maxLogLine + " bytes]" : ""));
            }
        } catch (IOException e) {
            // the process ended and its pipe closed under us
        }
    }

    /** A command as a user wrote it: a program with a path separator resolved (e.g. against the gateway's home). */
    public static List<String> command(String program, String args, Function<String, Path> resolve) {
        List<String> command = new ArrayList<>();
        command.add(program.contains(File.separator) ? resolve.apply(program).toString() : program);
        if (args != null && !args.isBlank()) {
            command.addAll(List.of(args.trim().split("\\s+")));
        }
        return command;
    }

    /** How a process ended, for messages: "exited with code 3" or "exited with code 137 (signal 9)". */
    public static String exitText(int code) {
        return code > 128 ? "exited with code " + code + " (signal " + (code - 128) + ")" : "exited with code " + code;
    }
}
