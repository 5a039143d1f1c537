package dev.earshot.gateway.health;

import io.netty.util.concurrent.EventExecutor;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Once a second, posts a tiny task to every Vert.x event loop and records when it ran. An event loop whose last
 * task ran long ago is blocked: liveness reports it.
 */
@ApplicationScoped
public class EventLoopMonitor {

    private static final long PERIOD_MS = 1000;

    @Inject
    Vertx vertx;

    private final List<EventExecutor> loops = new ArrayList<>();
    private volatile AtomicLongArray lastRun = new AtomicLongArray(0);

    void onStart(@Observes StartupEvent event) {
        vertx.nettyEventLoopGroup().forEach(loops::add);
        AtomicLongArray times = new AtomicLongArray(loops.size());
        long now = System.nanoTime();
        for (int i = 0; i < loops.size(); i++) {
            times.set(i, now);
        }
        lastRun = times;
        vertx.setPeriodic(PERIOD_MS, id -> {
            for (int i = 0; i < loops.size(); i++) {
                int index = i;
                loops.get(i).execute(() -> times.set(index, System.nanoTime()));
            }
        });
    }

    /** Milliseconds since the least responsive event loop last ran a probe (about 1000 when all is well). */
    public long worstLagMillis() {
        AtomicLongArray times = lastRun;
        long now = System.nanoTime();
        long worst = 0;
        for (int i = 0; i < times.length(); i++) {
            worst = Math.max(worst, now - times.get(i));
        }
        return worst / 1_000_000;
    }

    public int eventLoops() {
        return lastRun.length();
    }
}
