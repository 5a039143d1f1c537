package dev.earshot.gateway.plugin;

import dev.earshot.spi.Plugin;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

/** Compiles Java sources against the SPI (javax.tools, the JDK's compiler) and packs them as a plugin jar. */
public final class PluginJars {

    private PluginJars() {
    }

    /**
     * @param sources   class name to source text
     * @param resources jar path to content (e.g. the services file and earshot-plugin.properties)
     */
    public static Path build(Path folder, String jarName, Map<String, String> sources, Map<String, String> resources) throws Exception {
        return build(folder, jarName, sources, resources, zip -> { });
    }

    /** Writes more entries into a jar being built (streamed: a large entry is never held in memory). */
    @FunctionalInterface
    public interface Extra {
        void write(JarOutputStream zip) throws IOException;
    }

    /**
     * @param sources   class name to source text
     * @param resources jar path to content (e.g. the services file and earshot-plugin.properties)
     * @param extra     writes further entries after those
     */
    public static Path build(Path folder, String jarName, Map<String, String> sources, Map<String, String> resources,
                             Extra extra) throws Exception {
        Path src = Files.createDirectories(folder.resolve(jarName + "-src"));
        Path classes = Files.createDirectories(folder.resolve(jarName + "-classes"));
        List<String> args = new ArrayList<>(List.of("--release", "17", "-d", classes.toString(), "-cp",
                Path.of(Plugin.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString()));
        for (Map.Entry<String, String> source : sources.entrySet()) {
            Path file = src.resolve(source.getKey().replace('.', '/') + ".java");
            Files.createDirectories(file.getParent());
            Files.writeString(file, source.getValue());
            args.add(file.toString());
        }
        JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
        ByteArrayOutputStream errors = new ByteArrayOutputStream();
        int status = compiler.run(null, errors, errors, args.toArray(String[]::new));
        if (status != 0) {
            throw new IllegalStateException("compiling the test plugin failed:\n" + errors.toString(StandardCharsets.UTF_8));
        }
        Path jar = folder.resolve(jarName);
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream zip = new JarOutputStream(out);
             Stream<Path> files = Files.walk(classes)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                zip.putNextEntry(new JarEntry(classes.relativize(file).toString().replace('\\', '/')));
                zip.write(Files.readAllBytes(file));
                zip.closeEntry();
            }
            for (Map.Entry<String, String> resource : resources.entrySet()) {
                zip.putNextEntry(new JarEntry(resource.getKey()));
                zip.write(resource.getValue().getBytes(StandardCharsets.UTF_8));
                zip.closeEntry();
            }
            extra.write(zip);
        }
        return jar;
    }

    /**
     * Writes an entry of {@code bytes} bytes: {@code head}, then newlines, at the best compression (a zip bomb: a few
     * hundred KB in the jar for hundreds of MB inflated), streamed from a small buffer.
     */
    public static Extra bomb(String name, String head, long bytes) {
        return zip -> {
            zip.setLevel(java.util.zip.Deflater.BEST_COMPRESSION);
            zip.putNextEntry(new JarEntry(name));
            byte[] start = head.getBytes(StandardCharsets.UTF_8);
            zip.write(start);
            byte[] filler = new byte[1 << 20];
            java.util.Arrays.fill(filler, (byte) '\n');
            for (long left = bytes - start.length; left > 0; left -= filler.length) {
                zip.write(filler, 0, (int) Math.min(left, filler.length));
            }
            zip.closeEntry();
        };
    }

    /** Writes {@code count} tiny entries. */
    public static Extra entries(int count) {
        return zip -> {
            for (int i = 0; i < count; i++) {
                zip.putNextEntry(new JarEntry("filler/" + i + ".txt"));
                zip.write('x');
                zip.closeEntry();
            }
        };
    }

    /** The services file and earshot-plugin.properties (name, version 2.3.4, spi-version) of a plugin class. */
    public static Map<String, String> metadata(String pluginClass, String name, String spiVersion) {
        String folder = pluginClass.substring(0, pluginClass.lastIndexOf('.')).replace('.', '/');
        return Map.of("META-INF/services/dev.earshot.spi.Plugin", pluginClass + "\n",
                folder + "/earshot-plugin.properties", "name=" + name + "\nversion=2.3.4\nspi-version=" + spiVersion + "\n");
    }

    /**
     * Source of a plugin {@code com.example.<pkg>.Plain} named {@code name} with one session hook factory that does
     * nothing; {@code body} is put in the class as is (e.g. a static initialiser).
     */
    public static Map<String, String> hookPlugin(String pkg, String name, String body) {
        return Map.of("com.example." + pkg + ".Plain", """
                package com.example.%s;
                import dev.earshot.spi.*;
                import dev.earshot.spi.hook.*;
                import java.util.List;
                public final class Plain implements Plugin {
                    %s
                    public String name() { return "%s"; }
                    public Iterable<SessionHookFactory> sessionHookFactories() {
                        return List.of(new SessionHookFactory() {
                            public String name() { return "%s-hook"; }
                            public SessionHook create(PluginContext context) { return new SessionHook() { }; }
                        });
                    }
                }
                """.formatted(pkg, body, name, name));
    }
}
