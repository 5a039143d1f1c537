package dev.earshot.gateway;

import io.quarkus.runtime.Quarkus;
import org.jboss.logging.Logger;
import sun.misc.Signal;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Turns SIGTERM (what Kubernetes, systemd and {@code docker stop} send) into a graceful stop with exit status 0:
 * readiness goes DOWN at once, the gateway drains while the HTTP server still answers (uploads in progress get
 * their transcripts, new ones 503), and only then Quarkus stops (closing the HTTP server, waiting up to
 * {@code quarkus.shutdown.timeout} for responses still being written).
 * Without it the JVM would exit with 143 (128 + SIGTERM), which supervisors count as a failure, after a drain that
 * starts only once the HTTP server is closed. A second SIGTERM during the drain changes nothing; SIGINT and SIGKILL
 * keep their usual meaning.
 */
final class TermSignalHandler {

    private static final Logger LOG = Logger.getLogger(TermSignalHandler.class);

    private TermSignalHandler() {
    }

    static void install(Gateway gateway) {
        AtomicBoolean received = new AtomicBoolean();
        try {
            Signal.handle(new Signal("TERM"), signal -> {
                if (received.compareAndSet(false, true)) {
                    gateway.beginShutdown();
                    LOG.infof("SIGTERM: readiness DOWN, new sessions refused, draining open sessions within %s"
                            + " (earshot.runtime.drain-timeout)", gateway.drainTimeout());
                    try {
                        gateway.drain();
                    } finally {
                        Quarkus.asyncExit(0);
                    }
                } else {
                    LOG.info("SIGTERM again: already draining");
                }
            });
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            // e.g. the JVM runs with -Xrs: the default handling (exit status 143 after the same drain) stays.
            LOG.warnf("cannot handle SIGTERM (%s): stopping will still drain, but exit with status 143", e.getMessage());
        }
    }
}
