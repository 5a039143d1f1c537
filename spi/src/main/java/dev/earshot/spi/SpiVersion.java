package dev.earshot.spi;

/** The version of this plugin API. A major version change means plugins must be rebuilt. */
public final class SpiVersion {

    public static final int MAJOR = 1;
    public static final int MINOR = 0;

    private SpiVersion() {
    }

    public static String current() {
        return MAJOR + "." + MINOR;
    }
}
