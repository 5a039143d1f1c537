package com.example.officehours;

import dev.earshot.spi.Plugin;
import dev.earshot.spi.PluginContext;
import dev.earshot.spi.hook.SessionHook;
import dev.earshot.spi.hook.SessionHookFactory;

import java.time.Clock;
import java.util.List;

/**
 * Provides the session hook type {@code office-hours}: sessions that start outside the configured hours and days
 * are refused (the client gets the reason); every session's length and outcome is logged when it stops.
 *
 * <pre>
 * earshot.hooks.office.type=office-hours
 * earshot.hooks.office.hours=08:00-18:00      # HH:MM-HH:MM; 22:00-06:00 spans midnight; 00:00-24:00 is always
 * earshot.hooks.office.days=mon-fri           # days (mon,tue,...) and ranges (mon-fri); default every day
 * earshot.hooks.office.zone=Europe/Berlin     # default the gateway's time zone
 * earshot.pipelines.front-desk.hooks=office
 * </pre>
 */
public final class OfficeHoursPlugin implements Plugin {

    @Override
    public String name() {
        return "office-hours";
    }

    @Override
    public Iterable<SessionHookFactory> sessionHookFactories() {
        return List.of(new SessionHookFactory() {
            @Override
            public String name() {
                return "office-hours";
            }

            @Override
            public SessionHook create(PluginContext context) {
                return new OfficeHoursHook(context.instanceName(), OfficeHours.from(context.config()),
                        Clock.systemDefaultZone(), context.logger());
            }
        });
    }
}
