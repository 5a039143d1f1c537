package com.example.officehours;

import dev.earshot.spi.PluginException;
import dev.earshot.spi.hook.SessionHook;
import dev.earshot.spi.hook.SessionInfo;
import dev.earshot.spi.source.SessionOutcome;

import java.time.Clock;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Refuses sessions that start outside {@link OfficeHours} and logs one line per stopped session (length, outcome),
 * plus totals when closed. Called for many sessions at once: its state is a few atomic counters; nothing blocks.
 */
final class OfficeHoursHook implements SessionHook {

    private static final DateTimeFormatter NOW = DateTimeFormatter.ofPattern("EEE HH:mm", Locale.ROOT);

    private final String name;
    private final OfficeHours hours;
    private final Clock clock;
    private final System.Logger logger;
    private final AtomicLong admitted = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong audioMillis = new AtomicLong();
    private final AtomicBoolean closed = new AtomicBoolean();

    OfficeHoursHook(String name, OfficeHours hours, Clock clock, System.Logger logger) {
        this.name = name;
        this.hours = hours;
        this.clock = clock;
        this.logger = logger;
    }

    @Override
    public void sessionStarted(SessionInfo session) {
        ZonedDateTime now = ZonedDateTime.now(clock).withZoneSameInstant(hours.zone());
        if (!hours.isOpen(now)) {
            refused.incrementAndGet();
            // Throwing refuses the session; the host names the plugin and hook before this message.
            throw new PluginException("outside office hours " + hours + ": it is " + NOW.format(now));
        }
        admitted.incrementAndGet();
    }

    @Override
    public void sessionStopped(SessionInfo session, SessionOutcome outcome) {
        Duration length = Duration.between(session.startedAt(), clock.instant());
        if (outcome.kind() != SessionOutcome.Kind.REFUSED) {
            audioMillis.addAndGet(Math.max(0, length.toMillis()));
        }
        logger.log(System.Logger.Level.INFO, String.format(Locale.ROOT, "hook '%s': session %s (pipeline %s, %s) %s after %.1f s",
                name, session.id(), session.pipeline(), session.origin(), outcome.kind().name().toLowerCase(Locale.ROOT),
                length.toMillis() / 1000.0));
    }

    /** Totals so far: sessions admitted, sessions refused, seconds of admitted sessions that stopped. */
    String totals() {
        return String.format(Locale.ROOT, "%d admitted, %d refused, %.1f s in sessions", admitted.get(), refused.get(),
                audioMillis.get() / 1000.0);
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            logger.log(System.Logger.Level.INFO, "hook '" + name + "': " + totals());
        }
    }
}
