package com.example.officehours;

import dev.earshot.conformance.TestPluginContext;
import dev.earshot.spi.PluginConfig;
import dev.earshot.spi.PluginException;
import dev.earshot.spi.audio.AudioFormat;
import dev.earshot.spi.hook.SessionInfo;
import dev.earshot.spi.source.SessionOutcome;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which sessions are admitted at which times, what a refusal says, and what is logged. */
class OfficeHoursTest {

    static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");

    @TempDir
    Path home;

    private static OfficeHours hours(Map<String, String> options) {
        return OfficeHours.from(new PluginConfig("earshot.hooks.office", options));
    }

    /** 2026-12-07 is a Monday. */
    private static ZonedDateTime at(int day, int hour, int minute) {
        return ZonedDateTime.of(2026, 12, day, hour, minute, 0, 0, BERLIN);
    }

    @Test
    void daytimeHoursOnWorkingDays() {
        OfficeHours office = hours(Map.of("hours", "08:00-18:00", "days", "mon-fri", "zone", "Europe/Berlin"));
        assertFalse(office.isOpen(at(7, 7, 59)));
        assertTrue(office.isOpen(at(7, 8, 0)));
        assertTrue(office.isOpen(at(11, 17, 59)), "Friday");
        assertFalse(office.isOpen(at(11, 18, 0)), "closing time is exclusive");
        assertFalse(office.isOpen(at(12, 12, 0)), "Saturday");
        // The same instant seen from UTC: 07:30 UTC is 08:30 in Berlin in winter.
        assertTrue(office.isOpen(ZonedDateTime.of(2026, 12, 7, 7, 30, 0, 0, ZoneId.of("UTC"))));
    }

    @Test
    void nightHoursBelongToTheDayTheyStartOn() {
        OfficeHours night = hours(Map.of("hours", "22:00-06:00", "days", "fri,sat", "zone", "Europe/Berlin"));
        assertTrue(night.isOpen(at(11, 23, 0)), "Friday night");
        assertTrue(night.isOpen(at(12, 5, 59)), "Saturday morning, still Friday's night");
        assertTrue(night.isOpen(at(13, 2, 0)), "Sunday morning, Saturday's night");
        assertFalse(night.isOpen(at(14, 2, 0)), "Monday morning: Sunday's night is not listed");
        assertFalse(night.isOpen(at(12, 12, 0)), "Saturday noon");
        OfficeHours always = hours(Map.of("hours", "00:00-24:00"));
        assertTrue(always.isOpen(at(13, 0, 0)) && always.isOpen(at(13, 23, 59)));
    }

    @Test
    void aSessionOutsideTheHoursIsRefusedWithTheReasonAndEverySessionIsLogged() {
        TestPluginContext context = TestPluginContext.hook("office", Map.of(), home);
        Instant saturday = at(12, 9, 12).toInstant();
        OfficeHoursHook hook = new OfficeHoursHook("office", hours(Map.of("days", "mon-fri", "zone", "Europe/Berlin")),
                Clock.fixed(saturday, BERLIN), context.logger());
        SessionInfo session = new SessionInfo("s1", "front-desk", "whip:127.0.0.1", AudioFormat.SPEECH_16K, saturday, Map.of());
        PluginException refused = assertThrows(PluginException.class, () -> hook.sessionStarted(session));
        assertEquals("outside office hours 08:00-18:00 on mon,tue,wed,thu,fri (Europe/Berlin): it is Sat 09:12", refused.getMessage());
        hook.sessionStopped(session, SessionOutcome.refused(refused.getMessage()));

        Instant monday = at(7, 9, 0).toInstant();
        OfficeHoursHook open = new OfficeHoursHook("office", hours(Map.of("days", "mon-fri", "zone", "Europe/Berlin")),
                Clock.fixed(monday, BERLIN), context.logger());
        SessionInfo started = new SessionInfo("s2", "front-desk", "whip:127.0.0.1", AudioFormat.SPEECH_16K,
                monday.minusMillis(12_300), Map.of());
        open.sessionStarted(started);
        open.sessionStopped(started, SessionOutcome.ended());
        assertEquals("1 admitted, 0 refused, 12.3 s in sessions", open.totals());
        assertEquals("0 admitted, 1 refused, 0.0 s in sessions", hook.totals());
        open.close();
        open.close();
        assertTrue(context.logger().logged(System.Logger.Level.INFO,
                "hook 'office': session s1 (pipeline front-desk, whip:127.0.0.1) refused after 0.0 s"), context.logger().lines().toString());
        assertTrue(context.logger().logged(System.Logger.Level.INFO,
                "hook 'office': session s2 (pipeline front-desk, whip:127.0.0.1) ended after 12.3 s"), context.logger().lines().toString());
        assertEquals(1, context.logger().lines().stream().filter(l -> l.contains("1 admitted, 0 refused")).count(), "totals logged once");
    }

    @Test
    void badOptionsAreRefusedNamingTheKey() {
        for (String bad : new String[] {"8-18", "08:00", "18:00-18:00", "25:00-26:00", "24:00-06:00"}) {
            PluginException e = assertThrows(PluginException.class, () -> hours(Map.of("hours", bad)), bad);
            assertTrue(e.getMessage().startsWith("earshot.hooks.office.hours: '" + bad + "'"), e.getMessage());
        }
        PluginException days = assertThrows(PluginException.class, () -> hours(Map.of("days", "monday")));
        assertTrue(days.getMessage().contains("earshot.hooks.office.days") && days.getMessage().contains("mon-fri"), days.getMessage());
        PluginException zone = assertThrows(PluginException.class, () -> hours(Map.of("zone", "Mars/Olympus")));
        assertTrue(zone.getMessage().contains("earshot.hooks.office.zone"), zone.getMessage());
    }
}
