package dev.earshot.spi;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
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
 *
 * <p>When the factory declares its options ({@link PluginOption}), the host builds the config with them and checks the
 * settings with {@link #problems()} before {@code create(...)}: then a key is unknown when no option declares it, a
 * value of the wrong type is reported with the declared type, and the values of secret options are never shown, not
 * even in the messages of {@link #invalid}.
 */
public final class PluginConfig {

    private static final String SECRET = "****";

    private final String prefix;
    private final Map<String, String> values;
    private final List<PluginOption> options;
    private final Set<String> read = ConcurrentHashMap.newKeySet();

    /** Settings without declared options: any key may be set; the host reports those nobody read. */
    public PluginConfig(String prefix, Map<String, String> values) {
        this(prefix, values, List.of());
    }

    /**
     * Settings checked against declared options (an empty list declares none: then any key may be set).
     *
     * @throws IllegalArgumentException when two options share a name
     */
    public PluginConfig(String prefix, Map<String, String> values, List<PluginOption> options) {
        this.prefix = requireNonNull(prefix, "prefix is null");
        this.values = Collections.unmodifiableMap(new TreeMap<>(requireNonNull(values, "values is null")));
        this.options = List.copyOf(requireNonNull(options, "options is null"));
        Set<String> names = new TreeSet<>();
        for (PluginOption option : this.options) {
            if (!names.add(option.name())) {
                throw new IllegalArgumentException("option '" + option.name() + "' is declared twice");
            }
        }
    }

    /** The declared options; empty when the factory declares none. */
    public List<PluginOption> options() {
        return options;
    }

    /** The declared option a key (relative to the prefix) belongs to. */
    public Optional<PluginOption> option(String key) {
        return options.stream().filter(option -> option.covers(key)).findFirst();
    }

    /**
     * What is wrong with the settings as the declared options see them, one message per problem, each naming the full
     * key and the fix: a key no option declares (with the closest declared name), a value that is not of the declared
     * type, a required option that is not set. Empty when every setting fits, or when no options are declared.
     */
    public List<String> problems() {
        if (options.isEmpty()) {
            return List.of();
        }
        List<String> problems = new ArrayList<>();
        values.forEach((key, value) -> {
            Optional<PluginOption> option = option(key);
            if (option.isEmpty()) {
                problems.add(key(key) + ": unknown option" + suggestion(key));
            } else if (!value.isBlank() && !option.get().accepts(value)) {
                problems.add(invalid(key, value, option.get().expected() + " (option '" + option.get().name()
                        + "' is declared as " + option.get().type().label() + ")").getMessage());
            }
        });
        for (PluginOption option : options) {
            if (option.required() && values.entrySet().stream()
                    .noneMatch(entry -> option.covers(entry.getKey()) && !entry.getValue().isBlank())) {
                problems.add(key(option.displayName()) + " is required: " + option.description());
            }
        }
        return problems;
    }

    /**
     * Keys the factory read that no declared option covers: a factory that declares its options should have none.
     * Empty when no options are declared. For tests of a factory's declarations.
     */
    public Set<String> undeclaredReads() {
        Set<String> undeclared = new TreeSet<>();
        if (!options.isEmpty()) {
            for (String key : read) {
                if (option(key).isEmpty()) {
                    undeclared.add(key);
                }
            }
        }
        return undeclared;
    }

    /** The settings as they may be shown: the values of secret options replaced by {@code ****}. */
    public Map<String, String> redacted() {
        Map<String, String> shown = new TreeMap<>();
        values.forEach((key, value) -> shown.put(key, isSecret(key) ? SECRET : value));
        return Collections.unmodifiableMap(shown);
    }

    /** The prefix and the keys that are set, never their values. */
    @Override
    public String toString() {
        return "PluginConfig[" + prefix + ": " + values.keySet() + "]";
    }

    private boolean isSecret(String key) {
        return option(key).map(PluginOption::secret).orElse(false);
    }

    /** "; did you mean earshot.x.y.qos?" for the closest declared name, or the list of declared keys. */
    private String suggestion(String key) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (PluginOption option : options) {
            String candidate = option.name();
            int distance = distance(key.toLowerCase(Locale.ROOT), candidate.toLowerCase(Locale.ROOT));
            if (option.type() == PluginOption.Type.MAP && key.contains(".")) {
                distance = Math.min(distance, distance(key.substring(0, key.indexOf('.')).toLowerCase(Locale.ROOT),
                        candidate.toLowerCase(Locale.ROOT)));
            }
            if (distance < bestDistance) {
                best = option.displayName();
                bestDistance = distance;
            }
        }
        if (best != null && bestDistance <= Math.max(2, key.length() / 3)) {
            return "; did you mean " + key(best) + "?";
        }
        List<String> known = options.stream().map(PluginOption::displayName).sorted().toList();
        return "; the options are " + String.join(", ", known);
    }

    /** Levenshtein distance. */
    private static int distance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
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
        try {
            return parseBytes(raw.get());
        } catch (IllegalArgumentException e) {
            throw invalid(key, raw.get(), "a positive size such as 512, 64K, 10M or 1G");
        }
    }

    public boolean getBoolean(String key, boolean defaultValue) {
        Optional<String> raw = get(key);
        if (raw.isEmpty()) {
            return defaultValue;
        }
        try {
            return parseBoolean(raw.get());
        } catch (IllegalArgumentException e) {
            throw invalid(key, raw.get(), "true or false");
        }
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

    /** An error naming the full key, the value (unless the option is declared secret) and what is expected. */
    public PluginException invalid(String key, String value, String expected) {
        String shown = isSecret(key) ? "the value (secret, not shown)" : "'" + value + "'";
        return new PluginException(key(key) + ": " + shown + " is not valid; expected " + expected);
    }

    /** The keys that were set but never read: most likely misspelled options. */
    public Set<String> unreadKeys() {
        Set<String> unread = new TreeSet<>(values.keySet());
        unread.removeAll(read);
        return unread;
    }

    static long parseBytes(String raw) {
        String text = raw.trim().toUpperCase(Locale.ROOT).replace("B", "");
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
                throw new IllegalArgumentException(raw);
            }
            return Math.multiplyExact(value, unit);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException(raw, e);
        }
    }

    static boolean parseBoolean(String raw) {
        return switch (raw.trim().toLowerCase(Locale.ROOT)) {
            case "true", "yes", "on" -> true;
            case "false", "no", "off" -> false;
            default -> throw new IllegalArgumentException(raw);
        };
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
