package dev.earshot.gateway.settings;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * The pipelines added through the API, one JSON file each ({@code <data-dir>/pipelines/<name>.json}), so that they
 * come back after a restart. A file is replaced atomically (written next to it, then moved over it): a crash leaves
 * the old spec or the new one, never half of one. Files are readable by the gateway's user only (options may hold
 * secrets).
 */
public final class PipelineStore {

    private static final System.Logger LOG = System.getLogger(PipelineStore.class.getName());
    private static final String SUFFIX = ".json";

    private final Path folder;

    public PipelineStore(Path folder) {
        this.folder = requireNonNull(folder, "folder is null");
    }

    public Path folder() {
        return folder;
    }

    public Path file(String name) {
        return folder.resolve(name + SUFFIX);
    }

    /** Writes a spec (replacing the stored one of that name) atomically. */
    public void save(PipelineSpec spec) throws IOException {
        Files.createDirectories(folder);
        Path target = file(spec.name());
        Path temp = Files.createTempFile(folder, "." + spec.name() + "-", ".tmp");
        try {
            try {
                Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException e) {
                // not a POSIX file system: the folder's own permissions apply
            }
            Files.writeString(temp, spec.toJsonText(), StandardCharsets.UTF_8);
            try (var channel = java.nio.channels.FileChannel.open(temp, java.nio.file.StandardOpenOption.WRITE)) {
                channel.force(true);
            }
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    public void delete(String name) throws IOException {
        Files.deleteIfExists(file(name));
    }

    /**
     * Reads every stored spec. A file that cannot be read or is not a valid spec is logged with its path and the
     * reason, and skipped: the others still load. Leftover temporary files of an interrupted write are removed.
     */
    public List<PipelineSpec> loadAll() {
        List<PipelineSpec> specs = new ArrayList<>();
        if (!Files.isDirectory(folder)) {
            return specs;
        }
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(folder)) {
            entries.forEach(files::add);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.ERROR, "stored pipelines: cannot list " + folder + ": " + e.getMessage());
            return specs;
        }
        files.sort(null);
        for (Path file : files) {
            String fileName = file.getFileName().toString();
            if (fileName.startsWith(".") && fileName.endsWith(".tmp")) {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException e) {
                    LOG.log(System.Logger.Level.WARNING, "stored pipelines: cannot remove " + file + ": " + e.getMessage());
                }
                continue;
            }
            if (!fileName.endsWith(SUFFIX) || !Files.isRegularFile(file)) {
                continue;
            }
            String name = fileName.substring(0, fileName.length() - SUFFIX.length());
            try {
                specs.add(PipelineSpec.parse(name, Files.readString(file, StandardCharsets.UTF_8)));
            } catch (GatewayConfigException e) {
                LOG.log(System.Logger.Level.ERROR, "stored pipeline " + file + " skipped: " + e.getMessage());
            } catch (IOException | RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "stored pipeline " + file + " skipped: cannot read it: " + e);
            }
        }
        return specs;
    }
}
