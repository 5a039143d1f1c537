package dev.earshot.spi;

import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;
import java.util.Properties;

/**
 * Versions of this SPI. A plugin records the SPI version it was built against as {@code spi-version} in its
 * {@code earshot-plugin.properties} (beside the plugin class; with Maven resource filtering:
 * {@code spi-version=${earshot.spi.version}}). A host loads a plugin only when that version has the same major
 * number as its own SPI ({@link #CURRENT}): within a major version the SPI only grows (new default methods, new
 * types), so a plugin built against an older minor version keeps working.
 */
public final class SpiVersion {

    /** The version of the SPI the host runs, e.g. {@code "0.1.0"}; "unknown" when the jar was not built by Maven. */
    public static final String CURRENT = read(SpiVersion.class, "earshot-spi.properties", "version").orElse("unknown");

    private SpiVersion() {
    }

    /** The major number of a version: {@code 1} for {@code "1.4.2"} or {@code "1-SNAPSHOT"}; empty when there is none. */
    public static Optional<Integer> major(String version) {
        if (version == null) {
            return Optional.empty();
        }
        int end = 0;
        while (end < version.length() && Character.isDigit(version.charAt(end))) {
            end++;
        }
        if (end == 0 || end > 9) {
            return Optional.empty();
        }
        return Optional.of(Integer.parseInt(version.substring(0, end)));
    }

    /** True when a plugin built against {@code pluginSpiVersion} can run on this SPI: same major number. */
    public static boolean compatible(String pluginSpiVersion) {
        Optional<Integer> plugin = major(pluginSpiVersion);
        return plugin.isPresent() && plugin.equals(major(CURRENT));
    }

    /** The {@code spi-version} a plugin class records in its {@code earshot-plugin.properties}, if any. */
    public static Optional<String> of(Class<? extends Plugin> pluginClass) {
        return read(pluginClass, Manifests.METADATA, "spi-version");
    }

    private static Optional<String> read(Class<?> type, String resource, String key) {
        try (InputStream in = type.getResourceAsStream(resource)) {
            if (in == null) {
                return Optional.empty();
            }
            Properties properties = new Properties();
            properties.load(in);
            String value = properties.getProperty(key, "").trim();
            return value.isEmpty() || value.startsWith("${") ? Optional.empty() : Optional.of(value);
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
