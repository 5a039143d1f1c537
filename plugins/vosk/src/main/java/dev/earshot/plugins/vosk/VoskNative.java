package dev.earshot.plugins.vosk;

import com.sun.jna.NativeLibrary;
import dev.earshot.spi.PluginConfig;
import dev.earshot.spi.PluginException;
import org.vosk.LibVosk;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * Loads libvosk, the native half of the Vosk Java API, and turns a failure into an error a user can act on.
 *
 * <p>The native library is process-wide: it is loaded once, on the first use of an {@code org.vosk} class, and
 * stays loaded. A {@code library-path} therefore has to be added to JNA's search path before that first use, and
 * only the first engine's {@code library-path} can take effect; later engines that name another one get a warning.
 * The Vosk log level is process-wide too: the last engine created sets it.
 *
 * <p>Thread-safe: engines may be created concurrently.
 */
final class VoskNative {

    /** Name of the shared library JNA maps for the library names Vosk registers ("vosk" and, on Windows, "libvosk"). */
    static final String LIBRARY_FILE = System.mapLibraryName("vosk");

    private static final Object LOCK = new Object();
    /** Guarded by LOCK: where libvosk was loaded from ("" for JNA's default search), null until loaded. */
    private static String loadedFrom;
    /** Guarded by LOCK: the first load failure; later attempts only see "Could not initialize class". */
    private static Throwable firstFailure;

    private VoskNative() {
    }

    /**
     * Makes sure libvosk is loaded and sets the native log level. Must run before any other use of {@code org.vosk}.
     *
     * @param libraryPath the configured {@code library-path}, resolved: the folder holding libvosk or the file itself
     * @throws PluginException when the library path is wrong or libvosk cannot be loaded
     */
    static void load(PluginConfig config, Optional<Path> libraryPath, int logLevel, System.Logger logger) {
        requireNonNull(config, "config is null");
        requireNonNull(libraryPath, "libraryPath is null");
        requireNonNull(logger, "logger is null");
        Optional<Path> folder = libraryPath.map(path -> libraryFolder(config, path));
        synchronized (LOCK) {
            String requested = folder.map(Path::toString).orElse("");
            if (loadedFrom != null && folder.isPresent() && !loadedFrom.equals(requested)) {
                logger.log(System.Logger.Level.WARNING, "libvosk is already loaded in this process from "
                        + (loadedFrom.isEmpty() ? "the default location" : loadedFrom) + "; "
                        + config.key("library-path") + "=" + requested + " takes effect only after a restart");
            }
            try {
                if (loadedFrom == null && folder.isPresent()) {
                    NativeLibrary.addSearchPath("vosk", requested);
                    NativeLibrary.addSearchPath("libvosk", requested);
                }
                // The first call to LibVosk runs its static initialiser, which loads and binds libvosk.
                LibVosk.vosk_set_log_level(logLevel);
                if (loadedFrom == null) {
                    loadedFrom = requested;
                }
            } catch (UnsatisfiedLinkError | ExceptionInInitializerError | NoClassDefFoundError e) {
                if (firstFailure == null) {
                    firstFailure = e;
                }
                throw cannotLoad(config, folder, e);
            }
        }
    }

    private static PluginException cannotLoad(PluginConfig config, Optional<Path> folder, Throwable error) {
        String os = System.getProperty("os.name") + "/" + System.getProperty("os.arch");
        String cause = describe(error);
        if (firstFailure != null && firstFailure != error) {
            // Once a class initialiser failed, the JVM only says "Could not initialize class": show the first error.
            cause = describe(firstFailure) + " (this process already failed to load it; restart after fixing)";
        }
        String key = config.key("library-path");
        if (folder.isPresent()) {
            return new PluginException("cannot load libvosk for " + os + " from " + folder.get() + ": " + cause
                    + ". Check that " + key + " points at " + LIBRARY_FILE + " built for " + os
                    + " and that the libraries it needs are installed", error);
        }
        return new PluginException("cannot load libvosk for " + os + ": " + cause + ". Set " + key
                + " to the folder holding " + LIBRARY_FILE
                + " (the Vosk jar bundles linux-x86-64, win32 and darwin only)", error);
    }

    private static String describe(Throwable error) {
        Throwable root = error;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage();
        return message == null || message.isBlank() ? root.toString() : oneLine(message);
    }

    /**
     * JNA lists every place it tried on a line of its own, often twice, and ends with the whole class path: keep
     * each distinct line once, without the class path, on one line.
     */
    static String oneLine(String message) {
        Set<String> lines = new LinkedHashSet<>();
        for (String line : message.split("\\R")) {
            String kept = line.strip().replaceFirst("^(.*not found in resource path) \\(.*\\)$", "$1");
            if (!kept.isEmpty()) {
                lines.add(kept);
            }
        }
        StringBuilder out = new StringBuilder();
        for (String line : lines) {
            if (!out.isEmpty()) {
                out.append(out.charAt(out.length() - 1) == ':' ? " " : "; ");
            }
            out.append(line);
        }
        return out.toString();
    }

    /** The folder to search for libvosk: the configured folder, or the folder of the configured file. */
    private static Path libraryFolder(PluginConfig config, Path path) {
        String key = config.key("library-path");
        if (Files.isDirectory(path)) {
            if (!Files.exists(path.resolve(LIBRARY_FILE))) {
                throw new PluginException(key + ": folder " + path + " holds no " + LIBRARY_FILE
                        + "; point it at the folder holding " + LIBRARY_FILE + " for "
                        + System.getProperty("os.arch") + ", or at the file itself");
            }
            return path.toAbsolutePath();
        }
        if (Files.isRegularFile(path)) {
            String name = path.getFileName().toString();
            if (!name.toLowerCase(Locale.ROOT).startsWith(LIBRARY_FILE.toLowerCase(Locale.ROOT))) {
                throw new PluginException(key + ": file " + path + " is not " + LIBRARY_FILE
                        + "; point it at " + LIBRARY_FILE + " or the folder holding it (rename the file if needed)");
            }
            return path.toAbsolutePath().getParent();
        }
        throw new PluginException(key + ": " + path + " does not exist; point it at the folder holding "
                + LIBRARY_FILE + ", or at the file itself, or remove the setting to use the library bundled with Vosk");
    }
}
