package dev.earshot.gateway.plugin;

import dev.earshot.spi.Plugin;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.UUID;
import java.util.jar.JarFile;
import java.util.regex.Pattern;
import java.util.zip.ZipException;

import static java.util.Objects.requireNonNull;

/**
 * The plugins folder: one jar per installed plugin, named {@code <plugin name>.jar}, each loaded with a
 * {@link PluginClassLoader} of its own. Uploads are written to a temporary file in the same folder, checked (size,
 * SHA-256, a loadable plugin with a compatible SPI version) and then moved into place atomically, so the folder never
 * holds a half-written jar.
 */
public final class PluginFolder {

    static final String SERVICE_FILE = "META-INF/services/" + Plugin.class.getName();
    private static final String TEMP_PREFIX = ".upload-";
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");
    private static final System.Logger LOG = System.getLogger(PluginFolder.class.getName());

    /** An upload that was checked and is waiting to be installed under {@link #jar()}. */
    public record Staged(Path temp, Path jar, String name, String sha256) {
    }

    private final Path folder;
    private final ClassLoader spiLoader;

    public PluginFolder(Path folder) {
        this(folder, Plugin.class.getClassLoader());
    }

    PluginFolder(Path folder, ClassLoader spiLoader) {
        this.folder = requireNonNull(folder, "folder is null").toAbsolutePath().normalize();
        this.spiLoader = requireNonNull(spiLoader, "spiLoader is null");
    }

    public Path folder() {
        return folder;
    }

    /**
     * Loads every {@code *.jar} of the folder (none when it does not exist). A jar that cannot be loaded is skipped
     * with an error naming the file and the reason; left-over temporary uploads are deleted.
     */
    public List<LoadedPlugin> loadAll() {
        List<LoadedPlugin> loaded = new ArrayList<>();
        if (!Files.isDirectory(folder)) {
            return loaded;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(folder)) {
            for (Path entry : entries) {
                String file = entry.getFileName().toString();
                if (file.startsWith(TEMP_PREFIX)) {
                    Files.deleteIfExists(entry);
                } else if (file.endsWith(".jar") && Files.isRegularFile(entry)) {
                    try {
                        loaded.add(load(entry));
                    } catch (PluginInstallException e) {
                        LOG.log(System.Logger.Level.ERROR, "plugins folder: skipping " + entry + ": " + e.getMessage());
                    }
                }
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.ERROR, "cannot read the plugins folder " + folder + ": " + e.getMessage());
        }
        return loaded;
    }

    /**
     * Loads one plugin jar with its own class loader. The jar must list exactly one {@link Plugin} in
     * {@code META-INF/services/dev.earshot.spi.Plugin} and record a compatible SPI version.
     */
    LoadedPlugin load(Path jar) throws PluginInstallException {
        checkJar(jar);
        PluginClassLoader loader;
        try {
            loader = new PluginClassLoader(jar, spiLoader);
        } catch (IOException e) {
            throw new PluginInstallException(PluginInstallException.Reason.INVALID, "cannot open " + jar.getFileName() + ": " + e.getMessage(), e);
        }
        try {
            List<Plugin> plugins = new ArrayList<>();
            try {
                ServiceLoader.load(Plugin.class, loader).forEach(plugins::add);
            } catch (java.util.ServiceConfigurationError | LinkageError e) {
                throw new PluginInstallException(PluginInstallException.Reason.INVALID, "the plugin in "
                        + jar.getFileName() + " cannot be loaded: " + describe(e), e);
            }
            if (plugins.size() != 1) {
                throw new PluginInstallException(PluginInstallException.Reason.INVALID, jar.getFileName() + " lists "
                        + plugins.size() + " plugins in " + SERVICE_FILE + "; a plugin jar lists exactly one");
            }
            Plugin plugin = plugins.get(0);
            String name;
            try {
                name = plugin.name();
            } catch (RuntimeException | LinkageError e) {
                throw new PluginInstallException(PluginInstallException.Reason.INVALID, "the plugin in " + jar.getFileName()
                        + " fails to name itself: " + describe(e), e);
            }
            if (name == null || !NAME.matcher(name).matches()) {
                throw new PluginInstallException(PluginInstallException.Reason.INVALID, "the plugin in " + jar.getFileName()
                        + " is named '" + name + "'; a plugin name is 1 to 64 lower-case letters, digits, '.', '_' or '-'");
            }
            try {
                return PluginRegistry.describe(plugin, jar.toString(), loader);
            } catch (RuntimeException | LinkageError e) {
                throw new PluginInstallException(PluginInstallException.Reason.INVALID, "plugin '" + name + "' ("
                        + jar.getFileName() + ") fails to list its factories: " + describe(e), e);
            }
        } catch (PluginInstallException e) {
            closeQuietly(loader);
            throw e;
        }
    }

    /**
     * Writes an upload to a temporary file in the folder (at most {@code maxBytes}), checks its SHA-256 against
     * {@code expectedSha256} when given, and loads it once to learn its name and check it. The caller installs it
     * with {@link #commit} or drops it with {@link #discard}.
     */
    public Staged stage(InputStream body, long maxBytes, Optional<String> expectedSha256) throws PluginInstallException {
        Optional<String> expected = expectedSha256.map(s -> s.trim().toLowerCase(Locale.ROOT)).filter(s -> !s.isEmpty());
        if (expected.isPresent() && !expected.get().matches("[0-9a-f]{64}")) {
            throw new PluginInstallException(PluginInstallException.Reason.INVALID, "sha256 '" + expected.get()
                    + "' is not a SHA-256 digest (64 hexadecimal digits)");
        }
        Path temp;
        try {
            Files.createDirectories(folder);
            temp = folder.resolve(TEMP_PREFIX + UUID.randomUUID() + ".tmp");
        } catch (IOException e) {
            throw new PluginInstallException(PluginInstallException.Reason.INVALID, "cannot create the plugins folder "
                    + folder + " (earshot.plugin-dir must be writable): " + e.getMessage(), e);
        }
        try {
            MessageDigest digest = sha256();
            long size = 0;
            try (OutputStream out = new DigestOutputStream(Files.newOutputStream(temp), digest)) {
                byte[] buffer = new byte[64 * 1024];
                int n;
                while ((n = body.read(buffer)) >= 0) {
                    size += n;
                    if (size > maxBytes) {
                        throw new PluginInstallException(PluginInstallException.Reason.TOO_LARGE, "the plugin jar is larger than "
                                + maxBytes + " bytes (earshot.api.max-plugin-size)");
                    }
                    out.write(buffer, 0, n);
                }
            }
            if (size == 0) {
                throw new PluginInstallException(PluginInstallException.Reason.INVALID, "the request has no body: send the plugin jar");
            }
            String actual = HexFormat.of().formatHex(digest.digest());
            if (expected.isPresent() && !expected.get().equals(actual)) {
                throw new PluginInstallException(PluginInstallException.Reason.INVALID, "SHA-256 mismatch: expected "
                        + expected.get() + ", the uploaded jar has " + actual);
            }
            LoadedPlugin probe = load(temp);
            String name = probe.name();
            closeQuietly(probe);
            return new Staged(temp, folder.resolve(name + ".jar"), name, actual);
        } catch (PluginInstallException e) {
            deleteQuietly(temp);
            throw e;
        } catch (IOException e) {
            deleteQuietly(temp);
            throw new PluginInstallException(PluginInstallException.Reason.INVALID, "cannot store the upload in "
                    + folder + ": " + e.getMessage(), e);
        }
    }

    /** Moves a staged upload into place (atomically; one commit at a time, so two uploads of one name never race) and loads it from there. */
    public synchronized LoadedPlugin commit(Staged staged) throws PluginInstallException {
        if (Files.exists(staged.jar())) {
            discard(staged);
            throw new PluginInstallException(PluginInstallException.Reason.CONFLICT, "plugin '" + staged.name()
                    + "' is already installed (" + staged.jar() + "); uninstall it first");
        }
        try {
            try {
                Files.move(staged.temp(), staged.jar(), StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(staged.temp(), staged.jar());
            }
        } catch (IOException e) {
            discard(staged);
            throw new PluginInstallException(PluginInstallException.Reason.INVALID, "cannot move the upload to "
                    + staged.jar() + ": " + e.getMessage(), e);
        }
        try {
            return load(staged.jar());
        } catch (PluginInstallException e) {
            deleteQuietly(staged.jar());
            throw e;
        }
    }

    public void discard(Staged staged) {
        deleteQuietly(staged.temp());
    }

    /** Closes an installed plugin's class loader and deletes its jar. */
    public synchronized void delete(LoadedPlugin plugin) throws IOException {
        plugin.closeClassLoader();
        Optional<Path> jar = plugin.jar();
        if (jar.isPresent()) {
            Files.deleteIfExists(jar.get());
        }
    }

    public static void closeQuietly(LoadedPlugin plugin) {
        try {
            plugin.closeClassLoader();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "closing the class loader of " + plugin.location() + ": " + e.getMessage());
        }
    }

    private static void closeQuietly(PluginClassLoader loader) {
        try {
            loader.close();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "closing the class loader of " + loader.jar() + ": " + e.getMessage());
        }
    }

    private static void checkJar(Path jar) throws PluginInstallException {
        try (JarFile file = new JarFile(jar.toFile())) {
            if (file.getJarEntry(SERVICE_FILE) == null) {
                throw new PluginInstallException(PluginInstallException.Reason.INVALID, "no plugin inside: the jar has no "
                        + SERVICE_FILE + " naming its dev.earshot.spi.Plugin implementation");
            }
        } catch (ZipException e) {
            throw new PluginInstallException(PluginInstallException.Reason.INVALID, "not a jar file: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new PluginInstallException(PluginInstallException.Reason.INVALID, "cannot read the jar: " + e.getMessage(), e);
        }
    }

    private static void deleteQuietly(Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot delete " + path + ": " + e.getMessage());
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String describe(Throwable error) {
        Throwable cause = error;
        while (cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        String message = cause.getMessage();
        return cause.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    }
}
