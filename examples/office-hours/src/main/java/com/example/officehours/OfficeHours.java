package com.example.officehours;

import dev.earshot.spi.PluginConfig;

import java.time.DateTimeException;
import java.time.DayOfWeek;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.TextStyle;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * When sessions are welcome: from {@code open} (inclusive) to {@code close} (exclusive) on the given days, in a
 * time zone. When {@code close} is not after {@code open} the hours span midnight and belong to the day they start on.
 * {@code close} of 24:00 is midnight at the end of the day.
 */
record OfficeHours(int openMinute, int closeMinute, Set<DayOfWeek> days, ZoneId zone) {

    private static final int DAY = 24 * 60;

    static OfficeHours from(PluginConfig config) {
        String hours = config.getString("hours", "08:00-18:00").trim();
        String[] parts = hours.split("-");
        int open = parts.length == 2 ? minute(parts[0]) : -1;
        int close = parts.length == 2 ? minute(parts[1]) : -1;
        if (open < 0 || close < 0 || open == DAY || open == close) {
            throw config.invalid("hours", hours, "HH:MM-HH:MM with two different times, e.g. 08:00-18:00, 22:00-06:00 "
                    + "or 00:00-24:00 for always");
        }
        String dayList = config.getString("days", "mon-sun").trim();
        Set<DayOfWeek> days = EnumSet.noneOf(DayOfWeek.class);
        for (String item : dayList.toLowerCase(Locale.ROOT).split(",")) {
            String[] range = item.trim().split("-");
            DayOfWeek from = range.length >= 1 && range.length <= 2 ? day(range[0]) : null;
            DayOfWeek to = range.length == 2 ? day(range[1]) : from;
            if (from == null || to == null) {
                throw config.invalid("days", dayList, "days as mon,tue,wed,thu,fri,sat,sun and ranges such as mon-fri");
            }
            for (DayOfWeek d = from; ; d = d.plus(1)) {
                days.add(d);
                if (d == to) {
                    break;
                }
            }
        }
        ZoneId zone;
        String zoneName = config.getString("zone", "").trim();
        try {
            zone = zoneName.isEmpty() ? ZoneId.systemDefault() : ZoneId.of(zoneName);
        } catch (DateTimeException e) {
            throw config.invalid("zone", zoneName, "a time zone such as Europe/Berlin, UTC or +02:00");
        }
        return new OfficeHours(open, close, days, zone);
    }

    /** Minutes since midnight of HH:MM, 24:00 included; -1 when not such a time. */
    private static int minute(String text) {
        String t = text.trim();
        if (t.equals("24:00")) {
            return DAY;
        }
        try {
            LocalTime time = LocalTime.parse(t.length() == 4 ? "0" + t : t);
            return time.getSecond() == 0 ? time.getHour() * 60 + time.getMinute() : -1;
        } catch (DateTimeException e) {
            return -1;
        }
    }

    private static DayOfWeek day(String text) {
        for (DayOfWeek d : DayOfWeek.values()) {
            if (d.getDisplayName(TextStyle.SHORT, Locale.ROOT).toLowerCase(Locale.ROOT).equals(text.trim())) {
                return d;
            }
        }
        return null;
    }

    /** Whether {@code time} (converted to the zone) falls within the hours of an allowed day. */
    boolean isOpen(ZonedDateTime time) {
        ZonedDateTime local = time.withZoneSameInstant(zone);
        int minute = local.getHour() * 60 + local.getMinute();
        if (openMinute < closeMinute) {
            return days.contains(local.getDayOfWeek()) && minute >= openMinute && minute < closeMinute;
        }
        // Spanning midnight: the evening part belongs to today, the morning part to yesterday's opening.
        return minute >= openMinute ? days.contains(local.getDayOfWeek())
                : minute < closeMinute && days.contains(local.getDayOfWeek().minus(1));
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%02d:%02d-%02d:%02d on %s (%s)", openMinute / 60, openMinute % 60,
                closeMinute / 60, closeMinute % 60, days.stream().map(d -> d.getDisplayName(TextStyle.SHORT, Locale.ROOT).toLowerCase(Locale.ROOT))
                        .collect(Collectors.joining(",")), zone);
    }
}
