package dev.earshot.gateway.plugin;

import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * The class loader of one installed plugin jar. It sees the JDK (the platform class loader), the SPI packages
 * ({@code dev.earshot.spi.*}, from the gateway's own SPI so that both speak the same interfaces) and its own jar,
 * nothing else: not the gateway, not Vert.x, not Jackson, not another plugin. A plugin may therefore bundle any
 * library in any version (a shaded jar) without clashing with the gateway or with other plugins. Resources, including
 * {@code META-INF/services} files, come from the plugin's jar only, so {@link java.util.ServiceLoader} on this loader
 * finds exactly the plugin's own providers.
 */
final class PluginClassLoader extends URLClassLoader {

    static final String SPI_PACKAGE = "dev.earshot.spi.";
    private static final String SPI_RESOURCES = "dev/earshot/spi/";

    static {
        registerAsParallelCapable();
    }

    private final ClassLoader spi;
    private final Path jar;

    PluginClassLoader(Path jar, ClassLoader spi) throws IOException {
        super("earshot-plugin:" + jar.getFileName(), new URL[]{jar.toUri().toURL()}, ClassLoader.getPlatformClassLoader());
        this.spi = requireNonNull(spi, "spi is null");
        this.jar = jar;
    }

    Path jar() {
        return jar;
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
        if (name.startsWith(SPI_PACKAGE)) {
            return spi.loadClass(name);
        }
        // The JDK first (java.* cannot be defined by anyone else anyway), then the plugin's jar.
        return super.loadClass(name, resolve);
    }

    @Override
    public URL getResource(String name) {
        if (name.startsWith(SPI_RESOURCES)) {
            return spi.getResource(name);
        }
        URL own = findResource(name);
        return own != null ? own : getParent().getResource(name);
    }

    @Override
    public Enumeration<URL> getResources(String name) throws IOException {
        if (name.startsWith(SPI_RESOURCES)) {
            return spi.getResources(name);
        }
        if (name.startsWith("META-INF/services/")) {
            return findResources(name);
        }
        return Collections.enumeration(concat(findResources(name), getParent().getResources(name)));
    }

    private static List<URL> concat(Enumeration<URL> first, Enumeration<URL> second) {
        List<URL> all = new ArrayList<>(Collections.list(first));
        all.addAll(Collections.list(second));
        return all;
    }
}
