package dev.earshot.plugins.vosk;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Loading libvosk, in forked JVMs: a process loads it (or fails to) once, and this test JVM has long loaded the copy
 * the Vosk jar bundles. The forks get the Vosk classes without the jar's native libraries, just like a platform the
 * jar has no library for, such as linux-aarch64 on a Raspberry Pi.
 */
class TestVoskNativeLoading {

    private static final String KEY = "earshot.engines.vosk.library-path";

    @TempDir
    Path folder;

    @Test
    void withoutLibraryTheErrorNamesThePlatformAndTheKey() throws Exception {
        List<String> lines = fork("-");
        String first = lines.get(0);
        assertTrue(first.startsWith("ERROR:cannot load libvosk for " + System.getProperty("os.name") + "/"
                + System.getProperty("os.arch") + ": Unable to load library 'vosk'"), first);
        assertTrue(first.contains("Set " + KEY + " to the folder holding libvosk.so"), first);
        // The second attempt only gets "Could not initialize class" from the JVM: the message shows the first error.
        String second = lines.get(1);
        assertTrue(second.startsWith("ERROR:cannot load libvosk") && second.contains("Unable to load library 'vosk'")
                && second.contains("already failed to load it"), second);
        assertTrue(second.contains(KEY), second);
    }

    @Test
    void aBrokenLibraryIsReportedWithItsFolder() throws Exception {
        Path lib = Files.createDirectories(folder.resolve("lib"));
        Files.writeString(lib.resolve("libvosk.so"), "not a shared library");
        List<String> lines = fork(lib.toString());
        String first = lines.get(0);
        assertTrue(first.startsWith("ERROR:cannot load libvosk for "), first);
        assertTrue(first.contains(" from " + lib + ": Unable to load library 'vosk'"), first);
        assertTrue(first.contains(lib.resolve("libvosk.so") + ": "), "names the file JNA tried: " + first);
        assertTrue(first.contains("Check that " + KEY + " points at libvosk.so built for "), first);
    }

    @Test
    void libraryPathLoadsLibvoskFromAFolderOrAFile() throws Exception {
        assumeTrue(System.getProperty("os.name").equals("Linux") && System.getProperty("os.arch").equals("amd64"),
                "the Vosk jar's library is for linux-x86-64");
        Path lib = Files.createDirectories(folder.resolve("lib"));
        try (InputStream bundled = org.vosk.Model.class.getResourceAsStream("/linux-x86-64/libvosk.so")) {
            assertNotNull(bundled);
            Files.copy(bundled, lib.resolve("libvosk.so"));
        }
        String expected = "TEXT:" + SpeechSamples.GO_FORWARD_TEXT;
        assertEquals(List.of(expected, expected), fork(lib.toString()));
        assertEquals(List.of(expected, expected), fork(lib.resolve("libvosk.so").toString()));
    }

    /** Runs {@link ForkedEngineMain} on goforward.raw in a new JVM with the Vosk classes but not their libraries. */
    private List<String> fork(String libraryPath) throws IOException, InterruptedException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process process = new ProcessBuilder(java.toString(), "-cp", classPathWithoutBundledLibvosk(),
                ForkedEngineMain.class.getName(),
                SpeechSamples.modelFolder().toString(), SpeechSamples.GO_FORWARD.toString(), libraryPath)
                .redirectErrorStream(true)
                .start();
        String output;
        try (InputStream out = process.getInputStream()) {
            output = new String(out.readAllBytes(), StandardCharsets.UTF_8);
        } finally {
            if (!process.waitFor(2, TimeUnit.MINUTES)) {
                process.destroyForcibly();
            }
        }
        assertEquals(0, process.exitValue(), output);
        List<String> results = new ArrayList<>();
        for (String line : output.split("\n")) {
            if (line.startsWith("TEXT:") || line.startsWith("ERROR:")) {
                results.add(line);
            }
        }
        assertEquals(2, results.size(), output);
        return results;
    }

    /** This JVM's class path with the Vosk jar replaced by a folder holding only its classes. */
    private String classPathWithoutBundledLibvosk() throws IOException {
        Path voskJar;
        try {
            voskJar = Path.of(org.vosk.Model.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IOException(e);
        }
        Path classes = Files.createDirectories(folder.resolve("vosk-classes"));
        int copied = 0;
        try (JarFile jar = new JarFile(voskJar.toFile())) {
            for (JarEntry entry : Collections.list(jar.entries())) {
                if (entry.getName().startsWith("org/vosk/") && entry.getName().endsWith(".class")) {
                    Path target = classes.resolve(entry.getName());
                    Files.createDirectories(target.getParent());
                    try (InputStream in = jar.getInputStream(entry)) {
                        Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
                    }
                    copied++;
                }
            }
        }
        assertTrue(copied > 0, "no Vosk classes in " + voskJar);
        List<String> entries = new ArrayList<>();
        boolean replaced = false;
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (Path.of(entry).toAbsolutePath().equals(voskJar.toAbsolutePath())) {
                entries.add(classes.toString());
                replaced = true;
            } else {
                entries.add(entry);
            }
        }
        assertTrue(replaced, "the Vosk jar " + voskJar + " is not on the class path");
        return String.join(File.pathSeparator, entries);
    }
}
