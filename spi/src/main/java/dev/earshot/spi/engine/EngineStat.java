package dev.earshot.spi.engine;

import java.util.function.DoubleSupplier;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * A figure an engine keeps about itself ({@link SpeechEngine#stats()}), which the host exports in {@code /q/metrics}
 * as {@code earshot_engine_<name>} (dots become underscores; a counter gets {@code _total}), tagged with the engine's
 * id and type. The host reads it when metrics are scraped, never per frame.
 *
 * @param name        lower-case words joined by dots, e.g. {@code recognizers.kept}; unique within the engine
 * @param description one line, the metric's help text
 * @param counter     true for a count that only grows (a counter), false for a value that goes up and down (a gauge)
 * @param value       read on every scrape, from any thread: cheap, non-blocking and thread-safe
 */
public record EngineStat(String name, String description, boolean counter, DoubleSupplier value) {

    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9]*(\\.[a-z][a-z0-9]*)*");

    public EngineStat {
        requireNonNull(name, "name is null");
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("engine stat name '" + name
                    + "' must be lower-case words (letters and digits) joined by dots, e.g. recognizers.kept");
        }
        description = description == null ? "" : description;
        requireNonNull(value, "value is null");
    }

    /** A count that only grows. */
    public static EngineStat counter(String name, String description, DoubleSupplier value) {
        return new EngineStat(name, description, true, value);
    }

    /** A value that goes up and down. */
    public static EngineStat gauge(String name, String description, DoubleSupplier value) {
        return new EngineStat(name, description, false, value);
    }
}
