package dev.earshot.gateway.plugin;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Collection;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

import static java.util.Objects.requireNonNull;

/**
 * What a plugin jar must pass before any of its classes is loaded ({@code earshot.plugin-checks.*}): zip limits, a time
 * limit on loading, and, when configured, trust (listed SHA-256 digests and/or a signer certificate). With trust
 * configured, a jar is accepted when it matches either.
 *
 * @param maxEntries          most entries in the jar
 * @param maxInflatedSize     most bytes all entries inflate to, together
 * @param maxCompressionRatio most times an entry may inflate beyond its compressed size (checked past the first MiB)
 * @param loadTimeout         longest the plugin's static initialisers, constructor and factory listing may take
 * @param trustedDigests      SHA-256 digests (lower-case hex) of jars to accept; empty: no digest list
 * @param trustedSigner       a certificate whose signed jars are accepted, with the file it came from
 */
public record PluginPolicy(int maxEntries, long maxInflatedSize, int maxCompressionRatio, Duration loadTimeout,
                           Set<String> trustedDigests, Optional<Signer> trustedSigner) {

    /** The limits' defaults (those of {@code EarshotConfig.PluginChecksConfig}), no trust configured. */
    public static final PluginPolicy DEFAULTS = new PluginPolicy(20_000, 256L << 20, 100, Duration.ofSeconds(10), Set.of(),
            Optional.empty());

    /** A trusted signer certificate and where it was read from (for messages). */
    public record Signer(X509Certificate certificate, Path file) {
        public Signer {
            requireNonNull(certificate, "certificate is null");
            requireNonNull(file, "file is null");
        }
    }

    public PluginPolicy {
        if (maxEntries < 1) {
            throw new IllegalArgumentException("earshot.plugin-checks.max-entries is " + maxEntries + "; it must be at least 1");
        }
        if (maxInflatedSize < 1) {
            throw new IllegalArgumentException("earshot.plugin-checks.max-inflated-size is " + maxInflatedSize + "; it must be positive");
        }
        if (maxCompressionRatio < 1) {
            throw new IllegalArgumentException("earshot.plugin-checks.max-compression-ratio is " + maxCompressionRatio
                    + "; it must be at least 1");
        }
        requireNonNull(loadTimeout, "loadTimeout is null");
        if (loadTimeout.isNegative() || loadTimeout.isZero()) {
            throw new IllegalArgumentException("earshot.plugin-checks.load-timeout is " + loadTimeout + "; it must be positive");
        }
        trustedDigests = Set.copyOf(trustedDigests);
        requireNonNull(trustedSigner, "trustedSigner is null");
    }

    /** True when only trusted jars (listed digest or trusted signer) are accepted. */
    public boolean trustConfigured() {
        return !trustedDigests.isEmpty() || trustedSigner.isPresent();
    }

    public PluginPolicy withTrust(Set<String> digests, Optional<Signer> signer) {
        return new PluginPolicy(maxEntries, maxInflatedSize, maxCompressionRatio, loadTimeout, digests, signer);
    }

    public PluginPolicy withLoadTimeout(Duration timeout) {
        return new PluginPolicy(maxEntries, maxInflatedSize, maxCompressionRatio, timeout, trustedDigests, trustedSigner);
    }

    /**
     * Checks and normalises {@code earshot.plugin-checks.trusted-digests}: 64 hexadecimal digits each.
     *
     * @throws IllegalArgumentException naming the key and the bad value
     */
    public static Set<String> digests(Collection<String> configured) {
        Set<String> digests = new TreeSet<>();
        for (String value : configured) {
            String digest = value.trim().toLowerCase(Locale.ROOT);
            if (digest.isEmpty()) {
                continue;
            }
            if (!digest.matches("[0-9a-f]{64}")) {
                throw new IllegalArgumentException("earshot.plugin-checks.trusted-digests: '" + value
                        + "' is not a SHA-256 digest (64 hexadecimal digits, as sha256sum prints)");
            }
            digests.add(digest);
        }
        return digests;
    }

    /**
     * Reads {@code earshot.plugin-checks.trusted-signer}: an X.509 certificate file, PEM or DER (e.g. from
     * {@code keytool -exportcert}).
     *
     * @throws IllegalArgumentException naming the key, the file and the reason
     */
    public static Signer signer(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            X509Certificate certificate = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
            return new Signer(certificate, file);
        } catch (IOException | CertificateException | ClassCastException e) {
            throw new IllegalArgumentException("earshot.plugin-checks.trusted-signer: cannot read a certificate from " + file
                    + " (" + e.getMessage() + "); give an X.509 certificate file, PEM or DER, e.g. from keytool -exportcert -rfc");
        }
    }
}
