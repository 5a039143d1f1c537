package dev.earshot.gateway.session;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The time the calling thread has spent runnable but waiting for a CPU, from Linux's
 * {@code /proc/thread-self/schedstat} (its second field, nanoseconds). A decoding run's wall time less this wait is
 * what the run would have cost on a machine with a CPU free for it: the decoding itself, and any waiting the engine
 * does (an out-of-process engine's reply). {@link DecodeAdmission} projects with that, so a machine busy with other
 * work does not make every session look dear; that the sessions then fall behind is seen as lag. Elsewhere than
 * Linux (or without {@code /proc}) it reads 0, and costs are wall time. Read twice around a decoding run that is
 * expected to take at least {@link #WORTH_READING_NANOS}, never around the short runs of a cheap engine.
 */
final class RunQueueWait {

    /**
     * Runs shorter than this are measured by wall time alone: a read costs about 30 us of CPU here, so two of them
     * around a run of 5 ms or more cost at most 1.2% of it (0.3% around Vosk's 20 ms per 100 ms frame), and the error
     * left on shorter runs is small in absolute terms.
     */
    static final long WORTH_READING_NANOS = 5_000_000L;

    private static final Path SCHEDSTAT = Path.of("/proc/thread-self/schedstat");
    private static final boolean AVAILABLE = read() >= 0;

    private RunQueueWait() {
    }

    /** Nanoseconds this thread has waited for a CPU so far; 0 when that cannot be read. */
    static long nanos() {
        if (!AVAILABLE) {
            return 0;
        }
        long waited = read();
        return Math.max(0, waited);
    }

    /** The second number of the file, or -1. */
    private static long read() {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(SCHEDSTAT);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        int i = 0;
        while (i < bytes.length && bytes[i] != ' ') {
            i++;
        }
        i++;
        long value = 0;
        boolean digits = false;
        for (; i < bytes.length && bytes[i] >= '0' && bytes[i] <= '9'; i++) {
            value = value * 10 + (bytes[i] - '0');
            digits = true;
        }
        return digits ? value : -1;
    }
}
