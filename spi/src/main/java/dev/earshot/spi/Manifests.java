package dev.earshot.spi;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.Optional;
import java.util.Properties;
import java.util.jar.Attributes;
import java.util.jar.JarFile;

/** Finds a plugin's version: its metadata file, or its jar manifest (also under class loaders that hide it). */
final class Manifests {

    static final String METADATA = "earshot-plugin.properties";

    private Manifests() {
    }

    static Optional<String> pluginVersion(Class<?> type) {
        try (var in = type.getResourceAsStream(METADATA)) {
            if (in != null) {
                Properties properties = new Properties();
                properties.load(in);
                String version = properties.getProperty("version", "").trim();
                if (!version.isEmpty() && !version.startsWith("${")) {
                    return Optional.of(version);
                }
            }
        } catch (IOException e) {
            // fall through to the manifest
        }
        return implementationVersion(type);
    }

    static Optional<String> implementationVersion(Class<?> type) {
        String fromPackage = type.getPackage() == null ? null : type.getPackage().getImplementationVersion();
        if (fromPackage != null) {
            return Optional.of(fromPackage);
        }
        try {
            CodeSource source = type.getProtectionDomain().getCodeSource();
            if (source == null || source.getLocation() == null || !"file".equals(source.getLocation().getProtocol())) {
                return Optional.empty();
            }
            Path jar = Path.of(source.getLocation().toURI());
            if (!Files.isRegularFile(jar)) {
                return Optional.empty();
            }
            try (JarFile file = new JarFile(jar.toFile())) {
                var manifest = file.getManifest();
                return manifest == null ? Optional.empty()
                        : Optional.ofNullable(manifest.getMainAttributes().getValue(Attributes.Name.IMPLEMENTATION_VERSION));
            }
        } catch (IOException | URISyntaxException | SecurityException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
