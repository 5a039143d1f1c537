package dev.earshot.spi;

import java.util.List;
import java.util.Locale;

import static java.util.Objects.requireNonNull;

/**
 * One option a factory reads, as it declares it (see {@code options()} on the factory interfaces): its key relative to
 * the instance's prefix, its type, its default, whether it is required or secret, the allowed values of a choice and a
 * description. When a factory declares its options, the host checks an instance's settings against them before it
 * calls {@code create}: a value of the wrong type, a missing required option and an unknown key (with the closest
 * declared one) are reported with the full key, and the values of secret options appear nowhere (not in messages, not
 * in API answers, not in logs).
 *
 * <p>Declare every key the factory reads, with the default it uses:
 * <pre>{@code
 * List.of(PluginOption.string("url", null, "The broker, e.g. mqtt://127.0.0.1:1883.").asRequired(),
 *         PluginOption.integer("qos", 1, "MQTT quality of service: 0, 1 or 2."),
 *         PluginOption.map("headers", "Extra HTTP headers, e.g. headers.Authorization.").asSecret())
 * }</pre>
 *
 * @param name          the key relative to the instance's prefix, e.g. {@code qos}; for a {@link Type#MAP} the part
 *                      before the dot of {@code name.<key>}
 * @param type          how the value is written
 * @param defaultValue  the value used when the key is not set, written as a user would write it; null when there is
 *                      none, or when it is computed (say how in the description)
 * @param required      true when the key must be set (then there is no default)
 * @param secret        true when the value must never be shown (then there is no default)
 * @param allowedValues the values a {@link Type#CHOICE} accepts (compared without regard to case); empty otherwise
 * @param description   one or two sentences for users: what it does, and its range when a number
 */
public record PluginOption(String name, Type type, String defaultValue, boolean required, boolean secret,
                           List<String> allowedValues, String description) {

    /** How an option's value is written. Each type accepts what the matching {@link PluginConfig} getter parses. */
    public enum Type {
        /** Any text ({@link PluginConfig#getString}). */
        STRING("text"),
        /** A whole number ({@link PluginConfig#getInt}, {@link PluginConfig#getLong}). */
        INTEGER("a whole number"),
        /** {@code true}/{@code false} (also yes/no, on/off) ({@link PluginConfig#getBoolean}). */
        BOOLEAN("true or false"),
        /** {@code 250ms}, {@code 5s}, {@code 2m}, {@code 1h} or ISO-8601 {@code PT1S} ({@link PluginConfig#getDuration}). */
        DURATION("a duration such as 250ms, 5s, 2m or PT1S"),
        /** A size in bytes with an optional unit: {@code 512}, {@code 64K}, {@code 10M}, {@code 1G} ({@link PluginConfig#getBytes}). */
        SIZE("a positive size such as 512, 64K, 10M or 1G"),
        /** One of {@link PluginOption#allowedValues()} ({@link PluginConfig#getChoice}). */
        CHOICE("one of the allowed values"),
        /** A file or folder; relative paths are resolved against the gateway's home folder. */
        PATH("a file or folder path"),
        /** A family of keys {@code name.<key>}, each with a text value (e.g. environment variables, HTTP headers). */
        MAP("text under name.<key>");

        private final String expected;

        Type(String expected) {
            this.expected = expected;
        }

        /** The type's name in documentation and API answers: {@code integer}, {@code duration}, ... */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** What a value of this type looks like, for messages: {@code a whole number}. */
        public String expected() {
            return expected;
        }
    }

    /**
     * Checks the declaration itself: a usable name, a default that parses as the declared type, allowed values for a
     * choice (and only for a choice), no default for a required or secret option or a map.
     *
     * @throws IllegalArgumentException naming the option and what is wrong
     */
    public PluginOption {
        requireNonNull(name, "name is null");
        requireNonNull(type, "type of option '" + name + "' is null");
        requireNonNull(description, "description of option '" + name + "' is null");
        allowedValues = List.copyOf(requireNonNull(allowedValues, "allowedValues of option '" + name + "' is null"));
        if (!name.matches("[a-zA-Z0-9][a-zA-Z0-9_.-]*") || name.endsWith(".")) {
            throw new IllegalArgumentException("option '" + name + "': a name is letters, digits, '-', '_' and '.'");
        }
        if (type == Type.CHOICE && allowedValues.isEmpty()) {
            throw new IllegalArgumentException("option '" + name + "': a choice lists its allowed values");
        }
        if (type != Type.CHOICE && !allowedValues.isEmpty()) {
            throw new IllegalArgumentException("option '" + name + "': only a choice has allowed values");
        }
        if (defaultValue != null && (required || secret || type == Type.MAP)) {
            throw new IllegalArgumentException("option '" + name + "': a required or secret option or a map has no default");
        }
        if (defaultValue != null && !accepts(type, allowedValues, defaultValue)) {
            throw new IllegalArgumentException("option '" + name + "': default '" + defaultValue + "' is not "
                    + expected(type, allowedValues));
        }
    }

    /** An option of free text. */
    public static PluginOption string(String name, String defaultValue, String description) {
        return new PluginOption(name, Type.STRING, defaultValue, false, false, List.of(), description);
    }

    /** A whole number. */
    public static PluginOption integer(String name, long defaultValue, String description) {
        return new PluginOption(name, Type.INTEGER, Long.toString(defaultValue), false, false, List.of(), description);
    }

    /** A whole number without a default (or with one computed by the factory). */
    public static PluginOption integer(String name, String description) {
        return new PluginOption(name, Type.INTEGER, null, false, false, List.of(), description);
    }

    /** True or false. */
    public static PluginOption bool(String name, boolean defaultValue, String description) {
        return new PluginOption(name, Type.BOOLEAN, Boolean.toString(defaultValue), false, false, List.of(), description);
    }

    /** A duration; the default written as a user would, e.g. {@code 5s}. */
    public static PluginOption duration(String name, String defaultValue, String description) {
        return new PluginOption(name, Type.DURATION, defaultValue, false, false, List.of(), description);
    }

    /** A size in bytes; the default written as a user would, e.g. {@code 64K}. */
    public static PluginOption size(String name, String defaultValue, String description) {
        return new PluginOption(name, Type.SIZE, defaultValue, false, false, List.of(), description);
    }

    /** One of {@code allowedValues}. */
    public static PluginOption choice(String name, String defaultValue, List<String> allowedValues, String description) {
        return new PluginOption(name, Type.CHOICE, defaultValue, false, false, allowedValues, description);
    }

    /** A file or folder. */
    public static PluginOption path(String name, String defaultValue, String description) {
        return new PluginOption(name, Type.PATH, defaultValue, false, false, List.of(), description);
    }

    /** A family of keys {@code name.<key>}. */
    public static PluginOption map(String name, String description) {
        return new PluginOption(name, Type.MAP, null, false, false, List.of(), description);
    }

    /** This option, required (and so without a default). */
    public PluginOption asRequired() {
        return new PluginOption(name, type, null, true, secret, allowedValues, description);
    }

    /** This option, secret: its value is never shown (and it has no default). */
    public PluginOption asSecret() {
        return new PluginOption(name, type, null, required, true, allowedValues, description);
    }

    /** True when {@code key} (relative to the prefix) is this option: its name, or {@code name.<key>} for a map. */
    public boolean covers(String key) {
        if (type == Type.MAP) {
            return key.length() > name.length() + 1 && key.startsWith(name) && key.charAt(name.length()) == '.';
        }
        return key.equals(name);
    }

    /** True when {@code value} is written as this option's type expects (blank values count as not set). */
    public boolean accepts(String value) {
        return accepts(type, allowedValues, value);
    }

    /** What a value of this option looks like, for messages: {@code a whole number}, {@code one of raw, wav}. */
    public String expected() {
        return expected(type, allowedValues);
    }

    /** The key as documented: the name, or {@code name.<key>} for a map. */
    public String displayName() {
        return type == Type.MAP ? name + ".<key>" : name;
    }

    private static String expected(Type type, List<String> allowedValues) {
        return type == Type.CHOICE ? "one of " + String.join(", ", allowedValues) : type.expected();
    }

    private static boolean accepts(Type type, List<String> allowedValues, String value) {
        String text = value.trim();
        try {
            switch (type) {
                case INTEGER -> Long.parseLong(text);
                case BOOLEAN -> PluginConfig.parseBoolean(text);
                case DURATION -> PluginConfig.parseDuration(text);
                case SIZE -> PluginConfig.parseBytes(text);
                case CHOICE -> {
                    return allowedValues.stream().anyMatch(text::equalsIgnoreCase);
                }
                default -> {
                    return true;
                }
            }
            return true;
        } catch (IllegalArgumentException | ArithmeticException e) {
            return false;
        }
    }
}
