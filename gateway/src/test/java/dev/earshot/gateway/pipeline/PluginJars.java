package dev.earshot.gateway.pipeline;

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
        }
        return jar;
    }

    public static Map<String, String> metadata(String pluginClass, String spiVersion) {
        String folder = pluginClass.substring(0, pluginClass.lastIndexOf('.')).replace('.', '/');
        return Map.of("META-INF/services/dev.earshot.spi.Plugin", pluginClass + "\n",
                folder + "/earshot-plugin.properties", "version=2.3.4\nspi-version=" + spiVersion + "\n");
    }
}
