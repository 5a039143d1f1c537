package dev.earshot.spi;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

import static java.util.Objects.requireNonNull;

/**
 * The settings of one plugin instance: the properties under its prefix, e.g. {@code earshot.sinks.transcripts.*},
 * with keys relative to that prefix ({@code path}, {@code max-bytes}).
 *
 * <p>Every typed getter names the full key in its error, so a user sees what to fix. The host remembers which keys
 * a plugin read while creating an instance: read every option in {@code create(...)}, because a key nobody read
 * is reported to the user as unknown (most often a typo).
 */
public final class PluginConfig {

    private final String prefix;
    private final Map<String, String> values;
    private final Set<String> read = ConcurrentHashMap.newKeySet();

    public PluginConfig(String prefix, Map<String, String> values) {
        this.prefix = requireNonNull(prefix, "prefix is null");
        this.values = Collections.unmodifiableMap(new TreeMap<>(requireNonNull(values, "values is null")));
    }

    /** The property prefix of this instance, without a trailing dot, e.g. {@code earshot.engines.vosk}. */
    public String prefix() {
        return prefix;
    }

    /** The full property name of a key, for messages: {@code key("path")} is {@code earshot.sinks.x.path}. */
    public String key(String key) {
        return prefix + "." + key;
    }

    public Map<String, String> asMap() {
        return values;
    }

    public Optional<String> get(String key) {
        read.add(key);
        String value = values.get(key);
        return value == null || value.isBlank() ? Optional.empty() : Optional.of(value.trim());
    }

    public String getString(String key, String defaultValue) {
        return get(key).orElse(defaultValue);
    }

    public String require(String key, String hint) {
        return get(key).orElseThrow(() -> new PluginException(key(key) + " is required: " + hint));
    }

    public int getInt(String key, int defaultValue, int min, int max) {
        long value = getLong(key, defaultValue, min, max);
        return (int) value;
    }

    public long getLong(String key, long defaultValue, long min, long max) {
        Optional<String> raw = get(key);
        if (raw.isEmpty()) {
            return defaultValue;
        }
        long value;
        try {
            value = Long.parseLong(raw.get());
        } catch (NumberFormatException e) {
            throw invalid(key, raw.get(), "a whole number from " + min + " to " + max);
        }
        if (value < min || value > max) {
            throw invalid(key, raw.get(), "a whole number from " + min + " to " + max);
        }
        return value;
    }

    /** A size in bytes, written as a number with an optional unit: {@code 512}, {@code 64K}, {@code 10M}, {@code 1G}. */
    public long getBytes(String key, long defaultValue) {
        Optional<String> raw = get(key);
        if (raw.isEmpty()) {
            return defaultValue;
        }
        String text = raw.get().toUpperCase(Locale.ROOT).replace("B", "");
        long unit = 1;
        if (!text.isEmpty()) {
            char last = text.charAt(text.length() - 1);
            unit = switch (last) {
                case 'K' -> 1024L;
                case 'M' -> 1024L * 1024;
                case 'G' -> 1024L * 1024 * 1024;
                default -> 1;
            };
            if (unit != 1) {
                text = text.substring(0, text.length() - 1);
            }
        }
        try {
            long value = Long.parseLong(text.trim());
            if (value <= 0) {
                throw new NumberFormatException();
            }
            return Math.multiplyExact(value, unit);
        } catch (NumberFormatException | ArithmeticException e) {
            throw invalid(key, raw.get(), "a positive size such as 512, 64K, 10M or 1G");
        }
    }

    public boolean getBoolean(String key, boolean defaultValue) {
        Optional<String> raw = get(key);
        if (raw.isEmpty()) {
            return defaultValue;
        }
        return switch (raw.get().toLowerCase(Locale.ROOT)) {
            case "true", "yes", "on" -> true;
            case "false", "no", "off" -> false;
            default -> throw invalid(key, raw.get(), "true or false");
        };
    }

    /** A duration, as ISO-8601 ({@code PT0.5S}) or a number with a unit: {@code 250ms}, {@code 5s}, {@code 2m}, {@code 1h}. */
    public Duration getDuration(String key, Duration defaultValue) {
        Optional<String> raw = get(key);
        if (raw.isEmpty()) {
            return defaultValue;
        }
        try {
            return parseDuration(raw.get());
        } catch (IllegalArgumentException e) {
            throw invalid(key, raw.get(), "a duration such as 250ms, 5s, 2m or PT1S");
        }
    }

    /** One of the allowed values, compared without regard to case; returns the allowed spelling. */
    public String getChoice(String key, String defaultValue, Set<String> allowed) {
        Optional<String> raw = get(key);
        if (raw.isEmpty()) {
            return defaultValue;
        }
        for (String choice : allowed) {
            if (choice.equalsIgnoreCase(raw.get())) {
                return choice;
            }
        }
        throw invalid(key, raw.get(), "one of " + String.join(", ", new TreeSet<>(allowed)));
    }

    /** An error naming the full key, the value and what is expected. */
    public PluginException invalid(String key, String value, String expected) {
        return new PluginException(key(key) + ": '" + value + "' is not valid; expected " + expected);
    }

    /** The keys that were set but never read: most likely misspelled options. */
    public Set<String> unreadKeys() {
        Set<String> unread = new TreeSet<>(values.keySet());
        unread.removeAll(read);
        return unread;
    }

    static Duration parseDuration(String text) {
        String value = text.trim().toLowerCase(Locale.ROOT);
        if (value.startsWith("p")) {
            try {
                return Duration.parse(value.toUpperCase(Locale.ROOT));
            } catch (DateTimeParseException e) {
                throw new IllegalArgumentException(text, e);
            }
        }
        int split = 0;
        while (split < value.length() && (Character.isDigit(value.charAt(split)) || value.charAt(split) == '.')) {
            split++;
        }
        if (split == 0) {
            throw new IllegalArgumentException(text);
        }
        double number = Double.parseDouble(value.substring(0, split));
        String unit = value.substring(split).trim();
        double millis = switch (unit) {
            case "ms" -> number;
            case "", "s" -> number * 1000;
            case "m" -> number * 60_000;
            case "h" -> number * 3_600_000;
            default -> throw new IllegalArgumentException(text);
        };
        return Duration.ofNanos(Math.round(millis * 1_000_000));
    }
}
