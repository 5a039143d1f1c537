package dev.earshot.gateway.access;

import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import java.io.IOException;
import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * The routes the running application registers, read from the application itself so that a route added later is in
 * the matrix without editing the test: the Vert.x router's routes (captured when the application builds it) and the
 * REST resources (the {@code jakarta.ws.rs.Path} classes compiled into the gateway, which is what Quarkus REST
 * serves). Path parameters become names that exist nowhere, so that a request that gets through changes nothing.
 */
@ApplicationScoped
public class RouteInventory {

    static final List<String> METHODS = List.of("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS");
    /** What anyone may read: the console's files and the health probes, with GET or HEAD, spelled exactly so. */
    static final Set<String> PUBLIC = Set.of("/", "/index.html", "/console.js", "/console.css", "/q/health",
            "/q/health/live", "/q/health/ready", "/q/health/started");

    private static volatile Router router;

    void capture(@Observes Router built) {
        router = built;
    }

    /** Every concrete path the application serves, sorted. */
    static Set<String> paths() {
        Set<String> paths = new TreeSet<>();
        Router current = router;
        if (current == null) {
            throw new AssertionError("the application's router was not captured");
        }
        for (Route route : current.getRoutes()) {
            String path = route.getPath();
            if (path == null) {
                continue;
            }
            if (path.endsWith("/") && !path.equals("/")) {
                // A prefix route (e.g. /whip/*): the resource itself and one below it.
                paths.add(concrete(path + "nope"));
                paths.add(concrete(path + "nope/0123456789abcdef0123456789abcdef"));
            } else {
                paths.add(concrete(path));
            }
        }
        paths.addAll(restPaths());
        paths.addAll(PUBLIC);
        return paths;
    }

    /** Paths of the REST resources: class-level and method-level {@code @Path} joined. */
    static Set<String> restPaths() {
        Set<String> paths = new TreeSet<>();
        Path classes;
        try {
            classes = Path.of(AccessGuard.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
        Path root = classes.resolve("dev/earshot/gateway");
        try (Stream<Path> files = Files.walk(root)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".class")).toList()) {
                String name = classes.relativize(file).toString().replace('/', '.').replaceAll("\\.class$", "");
                Class<?> type;
                try {
                    type = Class.forName(name, false, Thread.currentThread().getContextClassLoader());
                } catch (ClassNotFoundException | LinkageError e) {
                    continue;
                }
                jakarta.ws.rs.Path base = type.getAnnotation(jakarta.ws.rs.Path.class);
                if (base == null) {
                    continue;
                }
                paths.add(concrete(base.value()));
                for (Method method : type.getDeclaredMethods()) {
                    jakarta.ws.rs.Path sub = method.getAnnotation(jakarta.ws.rs.Path.class);
                    if (sub != null && httpMethod(method)) {
                        paths.add(concrete(base.value() + "/" + sub.value()));
                    }
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot list " + root, e);
        }
        if (paths.isEmpty()) {
            throw new AssertionError("no REST resource found under " + root);
        }
        return paths;
    }

    private static boolean httpMethod(Method method) {
        for (Annotation annotation : method.getAnnotations()) {
            if (annotation.annotationType().isAnnotationPresent(jakarta.ws.rs.HttpMethod.class)) {
                return true;
            }
        }
        return false;
    }

    /** {@code {name}} and {@code :name} parameters replaced by a name that exists nowhere; slashes tidied. */
    static String concrete(String template) {
        String path = template.replaceAll("\\{[^}]+}", "nope").replaceAll(":[A-Za-z_]+", "nope").replaceAll("/+", "/");
        return path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    }

    /**
     * The spellings of a path a framework could resolve to it: the path, {@code ;} parameters, percent-escapes, double
     * and trailing slashes, dot segments, {@code ..} through a public path, letter case, encoded and back slashes.
     */
    static List<String> variants(String path) {
        if (path.equals("/")) {
            return List.of("/", "//", "/.", "/./", "/;", "/;x=1", "/nope/..", "/%2e/", "/index.html/..",
                    "/q/health/../..", "/\\");
        }
        String[] segments = path.substring(1).split("/");
        String first = segments[0];
        String rest = path.substring(1 + first.length());
        String last = segments[segments.length - 1];
        String head = path.substring(0, path.length() - last.length());
        List<String> variants = new ArrayList<>(List.of(
                path,
                path + "/",
                "/" + path,
                "/" + first + "//" + rest.replaceFirst("^/", ""),
                "/." + path,
                "/nope/.." + path,
                "/q/health/../.." + path,
                "/index.html/.." + path,
                "/" + first + ";" + rest,
                "/" + first + ";x=1" + rest,
                path + ";",
                path + ";jsessionid=1",
                "/" + percent(first.charAt(0)) + first.substring(1) + rest,
                head + percentAll(last),
                "/" + first + "/%2e" + rest,
                "/" + first.toUpperCase(Locale.ROOT) + rest,
                path.toUpperCase(Locale.ROOT),
                path + "/.",
                "/" + first + "%2f" + rest.replaceFirst("^/", ""),
                "/" + first + "\\" + rest.replaceFirst("^/", "")));
        return variants.stream().distinct().toList();
    }

    private static String percent(char c) {
        return String.format("%%%02x", (int) c);
    }

    private static String percentAll(String segment) {
        StringBuilder encoded = new StringBuilder();
        for (char c : segment.toCharArray()) {
            encoded.append(percent(c));
        }
        return encoded.toString();
    }

    /** Whether a request needs no credential: a public path, exactly so, read with GET or HEAD. */
    static boolean isPublic(String method, String variant) {
        return (method.equals("GET") || method.equals("HEAD")) && PUBLIC.contains(variant);
    }

    /** Every request of the matrix for one caller: each path, variant and method, GETs also as WebSocket upgrades. */
    static List<RawHttp.Request> matrix(Map<String, String> headers) {
        List<RawHttp.Request> requests = new ArrayList<>();
        for (String path : paths()) {
            for (String variant : variants(path)) {
                for (String method : METHODS) {
                    if (isPublic(method, variant)) {
                        continue;
                    }
                    requests.add(new RawHttp.Request(method, variant, headers));
                    if (method.equals("GET")) {
                        Map<String, String> upgrade = new java.util.LinkedHashMap<>(headers);
                        upgrade.put("Upgrade", "websocket");
                        upgrade.put("Connection", "Upgrade");
                        upgrade.put("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==");
                        upgrade.put("Sec-WebSocket-Version", "13");
                        requests.add(new RawHttp.Request(method, variant, upgrade));
                    }
                }
            }
        }
        return requests;
    }
}
