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
import java.security.DigestInputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;

import static java.util.Objects.requireNonNull;

/**
 * The plugins folder: one jar per installed plugin, named {@code <plugin name>.jar}, each loaded with a
 * {@link PluginClassLoader} of its own. Uploads are written to a temporary file in the same folder and checked before
 * any of their code runs: size, SHA-256, trust when configured, zip limits, and the metadata the jar declares (one
 * plugin class, its name, no clash with a known plugin, a compatible SPI version), all read straight from the zip
 * ({@link PluginJarInspector}). Only then is a class loader created; the plugin's static initialisers, constructor and
 * factory listing run on a thread of their own within {@link PluginPolicy#loadTimeout()}. A jar is moved into place
 * atomically, so the folder never holds a half-written one.
 */
public final class PluginFolder {

    static final String SERVICE_FILE = "META-INF/services/" + Plugin.class.getName();
    private static final String TEMP_PREFIX = ".upload-";
    private static final System.Logger LOG = System.getLogger(PluginFolder.class.getName());

    /** What a jar declares about its plugin in its metadata files, read without loading any of its classes. */
    public record Declared(String pluginClass, String name, String version, String spiVersion) {
    }

    /** An upload that was checked and is waiting to be installed under {@link #jar()}. */
    public record Staged(Path temp, Path jar, String name, String sha256, Declared declared) {
    }

    private final Path folder;
    private final PluginPolicy policy;
    private final ClassLoader spiLoader;

    public PluginFolder(Path folder) {
        this(folder, PluginPolicy.DEFAULTS);
    }

    public PluginFolder(Path folder, PluginPolicy policy) {
        this(folder, policy, Plugin.class.getClassLoader());
    }

    PluginFolder(Path folder, PluginPolicy policy, ClassLoader spiLoader) {
        this.folder = requireNonNull(folder, "folder is null").toAbsolutePath().normalize();
        this.policy = requireNonNull(policy, "policy is null");
        this.spiLoader = requireNonNull(spiLoader, "spiLoader is null");
    }

    public Path folder() {
        return folder;
    }

    public PluginPolicy policy() {
        return policy;
    }

    /**
     * Loads every {@code *.jar} of the folder (none when it does not exist), with the same checks as an upload; a
     * plugin name taken by {@code known} (the built-in plugins) or by a jar loaded before is a clash. A jar that
     * fails is skipped with an error naming the file and the reason; left-over temporary uploads are deleted.
     */
    public List<LoadedPlugin> loadAll(Function<String, Optional<LoadedPlugin>> known) {
        List<LoadedPlugin> loaded = new ArrayList<>();
        if (!Files.isDirectory(folder)) {
            return loaded;
        }
        Function<String, Optional<LoadedPlugin>> taken = name -> known.apply(name)
                .or(() -> loaded.stream().filter(p -> p.name().equals(name)).findFirst());
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(folder)) {
            for (Path entry : entries) {
                String file = entry.getFileName().toString();
                if (file.startsWith(TEMP_PREFIX)) {
                    Files.deleteIfExists(entry);
                } else if (file.endsWith(".jar") && Files.isRegularFile(entry)) {
                    try {
                        loaded.add(load(entry, check(entry, sha256(entry), taken)));
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
     * Checks a jar without running any of its code: trust (when configured), zip limits, the declared plugin class,
     * name and SPI version, and that no plugin of that name is known ({@code taken}).
     */
    Declared check(Path jar, String sha256, Function<String, Optional<LoadedPlugin>> taken) throws PluginInstallException {
        boolean listed = policy.trustedDigests().contains(sha256);
        if (policy.trustConfigured() && !listed && policy.trustedSigner().isEmpty()) {
            throw new PluginInstallException(PluginInstallException.Reason.UNTRUSTED, "the jar's SHA-256 " + sha256
                    + " is not in earshot.plugin-checks.trusted-digests; add it there to trust this jar");
        }
        Declared declared = PluginJarInspector.inspect(jar, policy);
        if (policy.trustConfigured() && !listed) {
            PluginJarInspector.checkSigned(jar, policy.trustedSigner().orElseThrow());
        }
        Optional<LoadedPlugin> existing = taken.apply(declared.name());
        if (existing.isPresent()) {
            throw new PluginInstallException(PluginInstallException.Reason.CONFLICT, "plugin '" + declared.name() + "' is "
                    + (existing.get().installed() ? "already installed (" + existing.get().location() + "); uninstall it first"
                    + " (DELETE /api/plugins/" + declared.name() + ")" : "built into the gateway (" + existing.get().location()
                    + "); give the new plugin another name"));
        }
        return declared;
    }

    /**
     * Loads a checked jar with its own class loader: the services file's one plugin, which must name itself as its
     * metadata declares. Its code runs here, on a thread of its own, bounded by {@link PluginPolicy#loadTimeout()}; on
     * any failure the class loader is closed.
     */
    LoadedPlugin load(Path jar, Declared declared) throws PluginInstallException {
        PluginClassLoader loader;
        try {
            loader = new PluginClassLoader(jar, spiLoader);
        } catch (IOException e) {
            throw new PluginInstallException(PluginInstallException.Reason.INVALID, "cannot open " + jar.getFileName() + ": " + e.getMessage(), e);
        }
        try {
            return PluginLoading.bounded(declared, jar, loader, policy.loadTimeout());
        } catch (PluginInstallException e) {
            closeQuietly(loader);
            throw e;
        }
    }

    /**
     * Writes an upload to a temporary file in the folder (streamed; at most {@code maxBytes}), checks its SHA-256
     * against {@code expectedSha256} when given, then {@link #check checks} it; none of its code runs. The caller
     * installs it with {@link #commit} or drops it with {@link #discard}.
     */
    public Staged stage(InputStream body, long maxBytes, Optional<String> expectedSha256,
                        Function<String, Optional<LoadedPlugin>> taken) throws PluginInstallException {
        Optional<String> expected = expectedSha256.map(s -> s.trim().toLowerCase(Locale.ROOT)).filter(s -> !s.isEmpty());
        if (expected.isPresent() && !expected.get().matches("[0-9a-f]{64}")) {
            throw new PluginInstallException(PluginInstallException.Reason.INVALID, "sha256 '" + PluginJarInspector.shorten(expected.get())
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
            Declared declared = check(temp, actual, taken);
            return new Staged(temp, folder.resolve(declared.name() + ".jar"), declared.name(), actual, declared);
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
            return load(staged.jar(), staged.declared());
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

    private static String sha256(Path jar) throws PluginInstallException {
        MessageDigest digest = sha256();
        try (InputStream in = new DigestInputStream(Files.newInputStream(jar), digest)) {
            in.transferTo(OutputStream.nullOutputStream());
        } catch (IOException e) {
            throw new PluginInstallException(PluginInstallException.Reason.INVALID, "cannot read " + jar + ": " + e.getMessage(), e);
        }
        return HexFormat.of().formatHex(digest.digest());
    }
}
