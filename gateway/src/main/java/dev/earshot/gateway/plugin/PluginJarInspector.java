package dev.earshot.gateway.plugin;

import dev.earshot.spi.SpiVersion;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.CodeSigner;
import java.security.cert.Certificate;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

import static dev.earshot.gateway.plugin.PluginInstallException.Reason.INVALID;
import static dev.earshot.gateway.plugin.PluginInstallException.Reason.UNTRUSTED;

/**
 * Reads a plugin jar as a zip, without loading any class from it: checks the zip limits of a {@link PluginPolicy}
 * (inflating every entry into nothing, counting, never trusting declared sizes), then reads the services file and
 * {@code earshot-plugin.properties} as bounded text and checks the declared name and SPI version. The JDK's own readers
 * (the class loader, {@link JarFile}) see the same central directory, so what they read afterwards has passed these limits.
 */
final class PluginJarInspector {

    static final String METADATA = "earshot-plugin.properties";
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");
    /** The services file and earshot-plugin.properties are a few lines: larger ones are refused. */
    static final int MAX_METADATA_TEXT = 64 * 1024;
    /** Files the JDK reads whole into memory while opening or verifying a jar (manifest, signature files). */
    static final int MAX_JAR_METADATA = 4 << 20;
    /** A class file is read whole to be defined; the class file format keeps real ones far below this. */
    static final int MAX_CLASS_FILE = 8 << 20;
    /** The compression ratio limit applies once an entry has inflated past this many bytes. */
    static final long RATIO_GRACE = 1 << 20;

    private static final Pattern CLASS_NAME = Pattern.compile("[\\p{javaJavaIdentifierStart}][\\p{javaJavaIdentifierPart}]*"
            + "(\\.[\\p{javaJavaIdentifierStart}][\\p{javaJavaIdentifierPart}]*)+");

    private PluginJarInspector() {
    }

    /**
     * Checks the jar's zip limits and metadata.
     *
     * @throws PluginInstallException (INVALID) naming the limit, the value and, where configurable, the key
     */
    static PluginFolder.Declared inspect(Path jar, PluginPolicy policy) throws PluginInstallException {
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            checkLimits(zip, policy);
            String pluginClass = pluginClass(text(zip, PluginFolder.SERVICE_FILE));
            String folder = pluginClass.substring(0, pluginClass.lastIndexOf('.')).replace('.', '/');
            String metadataPath = folder + "/" + METADATA;
            Properties metadata = new Properties();
            if (zip.getEntry(metadataPath) == null) {
                throw new PluginInstallException(INVALID, "the jar has no " + metadataPath + " beside its plugin class " + pluginClass
                        + ": add one with name=<plugin name>, version=<version> and spi-version=<SPI version>");
            }
            metadata.load(new StringReader(text(zip, metadataPath)));
            return declared(pluginClass, metadataPath, metadata);
        } catch (ZipException e) {
            throw new PluginInstallException(INVALID, "not a jar file: " + e.getMessage(), e);
        } catch (IOException | IllegalArgumentException e) {
            throw new PluginInstallException(INVALID, "cannot read the jar: " + e.getMessage(), e);
        }
    }

    private static void checkLimits(ZipFile zip, PluginPolicy policy) throws IOException, PluginInstallException {
        if (zip.size() > policy.maxEntries()) {
            throw new PluginInstallException(INVALID, "the jar has " + zip.size() + " entries, more than the limit of "
                    + policy.maxEntries() + " (earshot.plugin-checks.max-entries)");
        }
        Set<String> names = new HashSet<>();
        long total = 0;
        long jarMetadata = 0;
        byte[] buffer = new byte[64 * 1024];
        Enumeration<? extends ZipEntry> entries = zip.entries();
        while (entries.hasMoreElements()) {
            ZipEntry entry = entries.nextElement();
            String name = entry.getName();
            if (names.size() >= policy.maxEntries()) {
                throw new PluginInstallException(INVALID, "the jar has more than " + policy.maxEntries()
                        + " entries (earshot.plugin-checks.max-entries)");
            }
            if (!names.add(name)) {
                throw new PluginInstallException(INVALID, "the jar holds the entry '" + shorten(name) + "' twice");
            }
            if (entry.isDirectory()) {
                continue;
            }
            long cap = fixedCap(name);
            long compressed = Math.max(entry.getCompressedSize(), 1);
            long inflated = 0;
            try (InputStream in = zip.getInputStream(entry)) {
                int n;
                while ((n = in.read(buffer)) > 0) {
                    inflated += n;
                    total += n;
                    if (cap == MAX_JAR_METADATA && (jarMetadata += n) > MAX_JAR_METADATA) {
                        // The JDK keeps the manifest and every signature file in memory together while it verifies.
                        throw new PluginInstallException(INVALID, "the jar's manifest and signature files inflate to more than "
                                + MAX_JAR_METADATA + " bytes together (a fixed limit)");
                    }
                    if (inflated > cap) {
                        throw new PluginInstallException(INVALID, "the entry '" + shorten(name) + "' inflates to more than "
                                + cap + " bytes, the limit for " + capKind(name) + " (a fixed limit)");
                    }
                    if (inflated > RATIO_GRACE && inflated > compressed * policy.maxCompressionRatio()) {
                        throw new PluginInstallException(INVALID, "the entry '" + shorten(name) + "' inflates more than "
                                + policy.maxCompressionRatio() + " times its compressed size of " + entry.getCompressedSize()
                                + " bytes (earshot.plugin-checks.max-compression-ratio)");
                    }
                    if (total > policy.maxInflatedSize()) {
                        throw new PluginInstallException(INVALID, "the jar's entries inflate to more than "
                                + policy.maxInflatedSize() + " bytes together (earshot.plugin-checks.max-inflated-size)");
                    }
                }
            }
        }
    }

    /** Entries the gateway or the JDK read whole into memory get fixed caps; the rest only the total. */
    private static long fixedCap(String name) {
        String upper = name.toUpperCase(Locale.ROOT);
        if (name.equals(PluginFolder.SERVICE_FILE) || name.endsWith("/" + METADATA)) {
            return MAX_METADATA_TEXT;
        }
        if (upper.startsWith("META-INF/") && (upper.equals(JarFile.MANIFEST_NAME) || signatureFile(upper))) {
            return MAX_JAR_METADATA;
        }
        return name.endsWith(".class") ? MAX_CLASS_FILE : Long.MAX_VALUE;
    }

    private static String capKind(String name) {
        long cap = fixedCap(name);
        return cap == MAX_METADATA_TEXT ? "the plugin's metadata files" : cap == MAX_JAR_METADATA
                ? "the manifest and signature files" : "a class file";
    }

    /** Signature-related files of a signed jar: not signed themselves. */
    static boolean signatureFile(String upperName) {
        if (!upperName.startsWith("META-INF/") || upperName.indexOf('/', "META-INF/".length()) >= 0) {
            return false;
        }
        return upperName.endsWith(".SF") || upperName.endsWith(".RSA") || upperName.endsWith(".DSA")
                || upperName.endsWith(".EC") || upperName.startsWith("META-INF/SIG-");
    }

    /** An entry as UTF-8 text, read with a byte cap (after {@link #checkLimits} it is at most that long anyway). */
    private static String text(ZipFile zip, String path) throws IOException, PluginInstallException {
        ZipEntry entry = zip.getEntry(path);
        if (entry == null) {
            throw new PluginInstallException(INVALID, "no plugin inside: the jar has no " + PluginFolder.SERVICE_FILE
                    + " naming its dev.earshot.spi.Plugin implementation");
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (InputStream in = zip.getInputStream(entry)) {
            byte[] buffer = new byte[8192];
            int n;
            while ((n = in.read(buffer)) > 0) {
                if (bytes.size() + n > MAX_METADATA_TEXT) {
                    throw new PluginInstallException(INVALID, "the entry '" + path + "' inflates to more than "
                            + MAX_METADATA_TEXT + " bytes, the limit for the plugin's metadata files (a fixed limit)");
                }
                bytes.write(buffer, 0, n);
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes.toByteArray())).toString();
        } catch (CharacterCodingException e) {
            throw new PluginInstallException(INVALID, "the entry '" + path + "' is not UTF-8 text", e);
        }
    }

    /** The one class a services file names (lines, '#' comments, as {@link java.util.ServiceLoader} reads them). */
    private static String pluginClass(String services) throws PluginInstallException {
        List<String> classes = new ArrayList<>();
        for (String line : services.split("\r\n|\r|\n")) {
            int comment = line.indexOf('#');
            String name = (comment >= 0 ? line.substring(0, comment) : line).strip();
            if (!name.isEmpty()) {
                classes.add(name);
            }
        }
        if (classes.size() != 1) {
            throw new PluginInstallException(INVALID, PluginFolder.SERVICE_FILE + " names " + classes.size()
                    + " classes; a plugin jar names exactly one");
        }
        String name = classes.get(0);
        if (!CLASS_NAME.matcher(name).matches()) {
            throw new PluginInstallException(INVALID, PluginFolder.SERVICE_FILE + " names '" + shorten(name)
                    + "', which is not a class name in a package (e.g. com.example.MyPlugin)");
        }
        return name;
    }

    private static PluginFolder.Declared declared(String pluginClass, String metadataPath, Properties metadata) throws PluginInstallException {
        String name = metadata.getProperty("name", "").strip();
        if (name.isEmpty()) {
            throw new PluginInstallException(INVALID, metadataPath + " has no name: add name=<plugin name> (what the plugin's"
                    + " name() returns), so that the gateway can check it before loading the plugin");
        }
        if (!NAME.matcher(name).matches()) {
            throw new PluginInstallException(INVALID, "the plugin in the jar is named '" + shorten(name) + "' (name in "
                    + metadataPath + "); a plugin name is 1 to 64 lower-case letters, digits, '.', '_' or '-'");
        }
        String spiVersion = metadata.getProperty("spi-version", "").strip();
        if (spiVersion.isEmpty() || spiVersion.startsWith("${")) {
            throw new PluginInstallException(INVALID, "plugin '" + name + "' does not say which SPI version it was built"
                    + " against: add spi-version=<version> to its " + metadataPath);
        }
        if (!SpiVersion.compatible(spiVersion)) {
            throw new PluginInstallException(INVALID, "plugin '" + name + "' was built against SPI " + shorten(spiVersion)
                    + ", but this gateway runs SPI " + SpiVersion.CURRENT + ": a different major version; rebuild the plugin"
                    + " against earshot-spi " + SpiVersion.CURRENT);
        }
        return new PluginFolder.Declared(pluginClass, name, metadata.getProperty("version", "unknown").strip(), spiVersion);
    }

    /**
     * Checks that every entry of the jar is signed by the trusted signer (a certificate in its signer's chain), with
     * the JDK's jar verification. Call after {@link #inspect}: it reads every entry, within the limits checked there.
     *
     * @throws PluginInstallException (UNTRUSTED) naming the first entry that is not signed by it
     */
    static void checkSigned(Path jar, PluginPolicy.Signer signer) throws PluginInstallException {
        try (JarFile file = new JarFile(jar.toFile(), true)) {
            byte[] buffer = new byte[64 * 1024];
            Enumeration<JarEntry> entries = file.entries();
            int signed = 0;
            while (entries.hasMoreElements()) {
                JarEntry entry = entries.nextElement();
                String upper = entry.getName().toUpperCase(Locale.ROOT);
                if (entry.isDirectory() || upper.equals(JarFile.MANIFEST_NAME) || signatureFile(upper)) {
                    continue;
                }
                try (InputStream in = file.getInputStream(entry)) {
                    while (in.read(buffer) > 0) {
                        // reading to the end is what makes the JDK verify the entry's digest
                    }
                }
                if (!signedBy(entry.getCodeSigners(), signer)) {
                    throw new PluginInstallException(UNTRUSTED, "the jar's entry '" + shorten(entry.getName())
                            + "' is not signed by the trusted signer " + signer.certificate().getSubjectX500Principal().getName()
                            + " (earshot.plugin-checks.trusted-signer=" + signer.file() + "); sign the jar with its key (jarsigner)");
                }
                signed++;
            }
            if (signed == 0) {
                throw new PluginInstallException(UNTRUSTED, "the jar holds no signed file (earshot.plugin-checks.trusted-signer)");
            }
        } catch (SecurityException e) {
            throw new PluginInstallException(UNTRUSTED, "the jar's signature does not verify: " + e.getMessage()
                    + " (earshot.plugin-checks.trusted-signer)", e);
        } catch (IOException e) {
            throw new PluginInstallException(INVALID, "cannot read the jar: " + e.getMessage(), e);
        }
    }

    private static boolean signedBy(CodeSigner[] signers, PluginPolicy.Signer trusted) {
        if (signers == null) {
            return false;
        }
        for (CodeSigner signer : signers) {
            for (Certificate certificate : signer.getSignerCertPath().getCertificates()) {
                if (certificate.equals(trusted.certificate())) {
                    return true;
                }
            }
        }
        return false;
    }

    static String shorten(String text) {
        return text.length() <= 80 ? text : text.substring(0, 80) + "...";
    }
}
