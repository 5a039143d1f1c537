package dev.earshot.gateway.pipeline;

import dev.earshot.gateway.session.Session;
import dev.earshot.spi.source.Pacing;
import dev.earshot.spi.source.SessionOutcome;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Stopping pipelines within a time budget: their sessions end and flush their finals, the late ones are aborted, and
 * the capture sources are closed last. One pipeline stops this way on {@link Pipeline#stop}, all of them together when
 * the gateway stops.
 */
public final class PipelineStop {

    private static final System.Logger LOG = System.getLogger(PipelineStop.class.getName());
    /** How long aborted sessions get to release their recognizers once the drain time is used up. */
    private static final Duration ABORT_WAIT = Duration.ofSeconds(2);

    private PipelineStop() {
    }

    /**
     * Stops pipelines together, within one time budget ({@code drain}):
     * <ol>
     * <li>each refuses new sessions (503) and ends its live sessions, which never end by themselves;</li>
     * <li>with {@code letPacedFinish} (a gateway shutdown), paced sessions (uploads, files) whose audio is at hand
     * may run to their natural end until half the budget is used; then they are ended too;</li>
     * <li>ended sessions flush their finals until the budget is used up; sessions still open then are aborted;</li>
     * <li>capture sources are closed last, so that a source never aborts a session that is flushing its final.</li>
     * </ol>
     */
    public static void stopAll(List<Pipeline> pipelines, Duration drain, boolean letPacedFinish) {
        long begin = System.nanoTime();
        long deadline = begin + drain.toNanos();
        List<Pipeline> stopping = new ArrayList<>();
        for (Pipeline pipeline : pipelines) {
            if (pipeline.beginStop()) {
                stopping.add(pipeline);
            }
        }
        List<Session> open = new ArrayList<>();
        for (Pipeline pipeline : stopping) {
            for (Session session : pipeline.sessions()) {
                open.add(session);
                if (!letPacedFinish || session.pacing() != Pacing.PACED) {
                    session.end();
                }
            }
        }
        if (letPacedFinish && !await(open, begin + drain.toNanos() / 2)) {
            open.forEach(Session::end);
        }
        if (!await(open, deadline)) {
            List<Session> late = open.stream().filter(Session::isOpen).toList();
            LOG.log(System.Logger.Level.WARNING, late.size() + " session(s) did not finish within "
                    + drain.toMillis() + " ms; aborting them: " + late.stream().map(Session::id).toList());
            late.forEach(s -> s.abort(SessionOutcome.stopping("pipeline stopped")));
            await(late, System.nanoTime() + ABORT_WAIT.toNanos());
        }
        for (Pipeline pipeline : stopping) {
            pipeline.completeStop();
        }
    }

    /** Waits until every session has closed or the deadline ({@link System#nanoTime()}) has passed. */
    private static boolean await(List<Session> sessions, long deadline) {
        CompletableFuture<?>[] all = sessions.stream().map(s -> s.closed().toCompletableFuture()).toArray(CompletableFuture[]::new);
        try {
            CompletableFuture.allOf(all).get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (ExecutionException e) {
            return false;
        }
    }
}
