package dev.earshot.gateway.access;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Runs a matrix of requests and checks every answer: what the route-matrix tests share. */
final class RouteMatrix {

    /** What a refusal may look like: the access check's 401/403, or 400 for a path no route may see. */
    static final Set<Integer> REFUSED = Set.of(400, 401, 403);

    private RouteMatrix() {
    }

    /** Asserts every request was refused; prints the size of the matrix. */
    static void assertAllRefused(String mode, List<RawHttp.Request> requests, List<Integer> statuses) {
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < requests.size(); i++) {
            if (!REFUSED.contains(statuses.get(i))) {
                failures.add(statuses.get(i) + " for " + requests.get(i));
            }
        }
        System.out.printf("route matrix, %s: %d paths x %d spellings x %d methods (GET also as a WebSocket upgrade): "
                        + "%d requests, %d refused%n", mode, RouteInventory.paths().size(),
                RouteInventory.variants("/api/plugins").size(), RouteInventory.METHODS.size(), requests.size(),
                requests.size() - failures.size());
        assertTrue(failures.isEmpty(), mode + ": " + failures.size() + " requests got through:\n"
                + String.join("\n", failures.subList(0, Math.min(40, failures.size()))));
    }

    /**
     * The control: each path, spelled plainly, with a caller that may use it, reaches its route (no 401/403, an answer
     * at all). Without it, a matrix of refusals could be a server that refuses everything, or no server.
     */
    static void assertReachable(String mode, Map<String, String> headers, Function<RawHttp.Request, Integer> send) {
        List<String> failures = new ArrayList<>();
        int requests = 0;
        for (String path : RouteInventory.paths()) {
            if (path.startsWith("/api/devices")) {
                // The JDK lists sound devices once per process, at the first request: reaching this route here would
                // fix an empty list for DevicesApiTest in the same JVM. Its refusals are in the matrix all the same.
                continue;
            }
            for (String method : RouteInventory.METHODS) {
                RawHttp.Request request = new RawHttp.Request(method, path, headers);
                int status = send.apply(request);
                requests++;
                if (status == 401 || status == 403 || status < 100) {
                    failures.add(status + " for " + request);
                }
            }
        }
        System.out.printf("route matrix, %s: %d requests with the credential reached their routes%n", mode,
                requests - failures.size());
        assertTrue(failures.isEmpty(), mode + ": allowed callers were refused:\n" + String.join("\n", failures));
    }

    /** Sends the requests from the test link's client namespace ({@link dev.earshot.gateway.TestLink}). */
    static List<Integer> fromLink(String host, int port, List<RawHttp.Request> requests) throws Exception {
        io.vertx.core.json.JsonArray list = new io.vertx.core.json.JsonArray();
        for (RawHttp.Request request : requests) {
            list.add(new io.vertx.core.json.JsonObject().put("method", request.method()).put("path", request.path())
                    .put("headers", new io.vertx.core.json.JsonObject(new java.util.LinkedHashMap<>(request.headers()))));
        }
        return dev.earshot.gateway.TestLink.statuses(host, port, list);
    }

    static List<RawHttp.Request> withHeaders(List<RawHttp.Request> requests, Map<String, String> extra) {
        return requests.stream().map(r -> {
            Map<String, String> headers = new java.util.LinkedHashMap<>(r.headers());
            headers.putAll(extra);
            return new RawHttp.Request(r.method(), r.path(), headers);
        }).toList();
    }
}
