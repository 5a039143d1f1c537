package dev.earshot.gateway;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a gateway process holds, seen from outside as an operator sees it: heap used after a full GC ({@code jcmd}),
 * resident memory, threads and file descriptors ({@code /proc}).
 */
record ProcessFigures(long heapKiB, long rssKiB, long threads, long fds) {

    private static final Pattern HEAP_USED = Pattern.compile("used (\\d+)K");

    /** Runs a full GC in the process, then reads the figures. */
    static ProcessFigures of(Process process) throws IOException, InterruptedException {
        jcmd(process, "GC.run");
        Matcher used = HEAP_USED.matcher(jcmd(process, "GC.heap_info"));
        long heap = used.find() ? Long.parseLong(used.group(1)) : -1;
        Path proc = Path.of("/proc", String.valueOf(process.pid()));
        try (var tasks = Files.list(proc.resolve("task")); var descriptors = Files.list(proc.resolve("fd"))) {
            return new ProcessFigures(heap, rssKiB(process), tasks.count(), descriptors.count());
        }
    }

    /** Resident memory of the process in KiB (0 once it is gone). */
    static long rssKiB(Process process) throws IOException {
        Path status = Path.of("/proc", String.valueOf(process.pid()), "status");
        if (!Files.exists(status)) {
            return 0;
        }
        for (String line : Files.readAllLines(status)) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return 0;
    }

    /** The last 4000 characters of a log, for assertion messages. */
    static String tail(Path log) throws IOException {
        String text = Files.readString(log);
        return text.substring(Math.max(0, text.length() - 4000));
    }

    private static String jcmd(Process process, String command) throws IOException, InterruptedException {
        Process jcmd = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                String.valueOf(process.pid()), command).redirectErrorStream(true).start();
        String output = new String(jcmd.getInputStream().readAllBytes());
        assertTrue(jcmd.waitFor(30, TimeUnit.SECONDS), "jcmd " + command);
        return output;
    }
}
