package dev.earshot.gateway.plugin;

import dev.earshot.spi.Plugin;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static dev.earshot.gateway.plugin.PluginInstallException.Reason.INVALID;

/**
 * The first moment a plugin jar's code runs: {@link ServiceLoader} instantiates its plugin (static initialisers,
 * constructor), the plugin names itself and lists its factories. This happens on a thread of its own
 * ({@code earshot-plugin-load-<name>}) so that a plugin that hangs here is refused after the time limit instead of
 * holding the caller; the thread is interrupted, and the caller closes the class loader.
 */
final class PluginLoading {

    private PluginLoading() {
    }

    static LoadedPlugin bounded(PluginFolder.Declared declared, Path jar, PluginClassLoader loader, Duration timeout)
            throws PluginInstallException {
        FutureTask<LoadedPlugin> task = new FutureTask<>(() -> instantiate(declared, jar, loader));
        Thread thread = new Thread(task, "earshot-plugin-load-" + declared.name());
        thread.setDaemon(true);
        thread.setContextClassLoader(loader);
        thread.start();
        try {
            return task.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            thread.interrupt();
            task.cancel(true);
            throw new PluginInstallException(INVALID, "plugin '" + declared.name() + "' (" + jar.getFileName()
                    + ") did not finish loading within " + timeout.toMillis() + " ms (earshot.plugin-checks.load-timeout):"
                    + " its static initialisers, constructor or factory listing hang; it was not installed", e);
        } catch (InterruptedException e) {
            thread.interrupt();
            Thread.currentThread().interrupt();
            throw new PluginInstallException(INVALID, "interrupted while loading plugin '" + declared.name() + "'", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof PluginInstallException refused) {
                throw refused;
            }
            throw new PluginInstallException(INVALID, "the plugin in " + jar.getFileName() + " cannot be loaded: "
                    + describe(e.getCause()), e.getCause());
        }
    }

    private static LoadedPlugin instantiate(PluginFolder.Declared declared, Path jar, PluginClassLoader loader)
            throws PluginInstallException {
        List<Plugin> plugins = new ArrayList<>();
        try {
            ServiceLoader.load(Plugin.class, loader).forEach(plugins::add);
        } catch (ServiceConfigurationError | LinkageError e) {
            throw new PluginInstallException(INVALID, "the plugin in " + jar.getFileName() + " cannot be loaded: " + describe(e), e);
        }
        if (plugins.size() != 1 || !plugins.get(0).getClass().getName().equals(declared.pluginClass())) {
            throw new PluginInstallException(INVALID, jar.getFileName() + " lists " + plugins.size() + " plugins in "
                    + PluginFolder.SERVICE_FILE + "; a plugin jar lists exactly one, " + declared.pluginClass());
        }
        Plugin plugin = plugins.get(0);
        String name;
        try {
            name = plugin.name();
        } catch (RuntimeException | LinkageError e) {
            throw new PluginInstallException(INVALID, "the plugin in " + jar.getFileName() + " fails to name itself: " + describe(e), e);
        }
        if (!declared.name().equals(name)) {
            throw new PluginInstallException(INVALID, "the plugin in " + jar.getFileName() + " names itself '"
                    + (name == null ? null : PluginJarInspector.shorten(name)) + "', but its earshot-plugin.properties says name="
                    + declared.name() + "; make the two equal");
        }
        try {
            return PluginRegistry.describe(plugin, jar.toString(), loader);
        } catch (RuntimeException | LinkageError e) {
            throw new PluginInstallException(INVALID, "plugin '" + name + "' (" + jar.getFileName()
                    + ") fails to list its factories: " + describe(e), e);
        }
    }

    static String describe(Throwable error) {
        Throwable cause = error;
        while (cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        String message = cause.getMessage();
        return cause.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    }
}
