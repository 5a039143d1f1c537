package dev.earshot.gateway.plugin;

import dev.earshot.gateway.plugin.LoadedPlugin;
import dev.earshot.gateway.plugin.PluginFolder;
import dev.earshot.gateway.plugin.PluginInstallException;
import dev.earshot.gateway.plugin.PluginPolicy;
import dev.earshot.spi.SpiVersion;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Trust and limits of {@link PluginFolder} on real jars: a digest allow-list, a trusted signer (keys and signatures made
 * by the JDK's keytool and jarsigner, verified by the JDK's jar verification), the total inflated size, and a plugin
 * whose {@code name()} differs from the name its metadata declares.
 */
class PluginTrustTest {

    @TempDir
    Path home;

    Path jar(String pkg, String name) throws Exception {
        return PluginJars.build(home, pkg + ".jar", PluginJars.hookPlugin(pkg, pkg, ""), PluginJars.metadata("com.example." + pkg + ".Plain", name, SpiVersion.CURRENT));
    }

    static LoadedPlugin install(PluginFolder folder, Path jar) throws Exception {
        try (InputStream in = Files.newInputStream(jar)) {
            return folder.commit(folder.stage(in, 1 << 24, Optional.empty(), name -> Optional.empty()));
        }
    }

    static PluginInstallException refused(PluginFolder folder, Path jar) {
        return assertThrows(PluginInstallException.class, () -> install(folder, jar));
    }

    List<String> installed(PluginFolder folder) throws Exception {
        try (Stream<Path> files = Files.list(folder.folder())) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void onlyJarsWithAListedDigestAreAccepted() throws Exception {
        Path alpha = jar("alpha", "alpha");
        Path beta = jar("beta", "beta");
        PluginFolder folder = new PluginFolder(home.resolve("plugins"),
                PluginPolicy.DEFAULTS.withTrust(PluginPolicy.digests(List.of(sha256(alpha).toUpperCase())), Optional.empty()));
        LoadedPlugin loaded = install(folder, alpha);
        assertEquals("alpha", loaded.name());
        PluginFolder.closeQuietly(loaded);
        PluginInstallException untrusted = refused(folder, beta);
        assertEquals(PluginInstallException.Reason.UNTRUSTED, untrusted.reason());
        assertEquals("the jar's SHA-256 " + sha256(beta) + " is not in earshot.plugin-checks.trusted-digests; add it there to"
                + " trust this jar", untrusted.getMessage());
        assertEquals(List.of("alpha.jar"), installed(folder));
        var bad = assertThrows(IllegalArgumentException.class, () -> PluginPolicy.digests(List.of("abc")));
        assertTrue(bad.getMessage().startsWith("earshot.plugin-checks.trusted-digests: 'abc' is not a SHA-256 digest"), bad.getMessage());
    }

    @Test
    void withATrustedSignerOnlyJarsItSignedWhollyAreAccepted() throws Exception {
        Path trustedStore = keystore("trusted");
        Path otherStore = keystore("other");
        Path certificate = home.resolve("trusted.pem");
        tool("keytool", "-exportcert", "-rfc", "-alias", "plugins", "-keystore", trustedStore.toString(), "-storepass",
                "changeit", "-file", certificate.toString());
        Path unsigned = jar("gamma", "gamma");
        Path signed = sign(unsigned, trustedStore, home.resolve("gamma-signed.jar"));
        Path foreign = sign(unsigned, otherStore, home.resolve("gamma-foreign.jar"));
        Path extended = withExtraEntry(signed, home.resolve("gamma-extended.jar"));
        PluginFolder folder = new PluginFolder(home.resolve("plugins"),
                PluginPolicy.DEFAULTS.withTrust(Set.of(), Optional.of(PluginPolicy.signer(certificate))));

        for (Path jar : List.of(unsigned, foreign, extended)) {
            PluginInstallException untrusted = refused(folder, jar);
            assertEquals(PluginInstallException.Reason.UNTRUSTED, untrusted.reason(), untrusted.getMessage());
            assertTrue(untrusted.getMessage().contains("is not signed by the trusted signer CN=Earshot trusted")
                    && untrusted.getMessage().contains("(earshot.plugin-checks.trusted-signer=" + certificate + ")"), untrusted.getMessage());
        }
        LoadedPlugin loaded = install(folder, signed);
        assertEquals("gamma", loaded.name());
        PluginFolder.closeQuietly(loaded);
        assertEquals(List.of("gamma.jar"), installed(folder));
        var bad = assertThrows(IllegalArgumentException.class, () -> PluginPolicy.signer(unsigned));
        assertTrue(bad.getMessage().startsWith("earshot.plugin-checks.trusted-signer: cannot read a certificate from " + unsigned),
                bad.getMessage());
    }

    @Test
    void theTotalInflatedSizeIsLimited() throws Exception {
        byte[] noise = new byte[3 << 20];
        new Random(7).nextBytes(noise);
        Path jar = PluginJars.build(home, "noisy.jar", PluginJars.hookPlugin("noisy", "noisy", ""),
                PluginJars.metadata("com.example.noisy.Plain", "noisy", SpiVersion.CURRENT), zip -> {
                    zip.putNextEntry(new java.util.jar.JarEntry("assets/noise.bin"));
                    zip.write(noise);
                    zip.closeEntry();
                });
        PluginFolder folder = new PluginFolder(home.resolve("plugins"),
                new PluginPolicy(100, 2L << 20, 100, Duration.ofSeconds(10), Set.of(), Optional.empty()));
        PluginInstallException tooMuch = refused(folder, jar);
        assertEquals("the jar's entries inflate to more than 2097152 bytes together (earshot.plugin-checks.max-inflated-size)",
                tooMuch.getMessage());
        assertEquals("noisy", install(new PluginFolder(home.resolve("plugins")), jar).name(), "accepted under the default limit");
    }

    @Test
    void aPluginWhoseNameDiffersFromItsMetadataIsRefusedAndLeavesNothing() throws Exception {
        Path jar = PluginJars.build(home, "twofaced.jar", PluginJars.hookPlugin("twofaced", "beta", ""),
                PluginJars.metadata("com.example.twofaced.Plain", "alpha", SpiVersion.CURRENT));
        PluginFolder folder = new PluginFolder(home.resolve("plugins"));
        PluginInstallException mismatch = refused(folder, jar);
        assertEquals("the plugin in alpha.jar names itself 'beta', but its earshot-plugin.properties says name=alpha; make the"
                + " two equal", mismatch.getMessage());
        assertEquals(List.of(), installed(folder));
    }

    private Path keystore(String name) throws Exception {
        Path store = home.resolve(name + ".p12");
        tool("keytool", "-genkeypair", "-alias", "plugins", "-keyalg", "EC", "-groupname", "secp256r1", "-dname",
                "CN=Earshot " + name, "-validity", "2", "-keystore", store.toString(), "-storetype", "PKCS12",
                "-storepass", "changeit", "-keypass", "changeit");
        return store;
    }

    private static Path sign(Path jar, Path store, Path signed) throws Exception {
        tool("jarsigner", "-keystore", store.toString(), "-storepass", "changeit", "-signedjar", signed.toString(),
                jar.toString(), "plugins");
        return signed;
    }

    /** A copy of a signed jar with one more, unsigned, entry. */
    private static Path withExtraEntry(Path signed, Path copy) throws Exception {
        try (ZipInputStream in = new ZipInputStream(Files.newInputStream(signed));
             ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(copy))) {
            for (ZipEntry entry = in.getNextEntry(); entry != null; entry = in.getNextEntry()) {
                out.putNextEntry(new ZipEntry(entry.getName()));
                in.transferTo(out);
                out.closeEntry();
            }
            out.putNextEntry(new ZipEntry("com/example/gamma/Extra.txt"));
            out.write("added after signing".getBytes());
            out.closeEntry();
        }
        return copy;
    }

    private static void tool(String name, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", name).toString()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), name + " finished");
        assertEquals(0, process.exitValue(), name + ": " + output);
    }

    private static String sha256(Path file) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }
}
