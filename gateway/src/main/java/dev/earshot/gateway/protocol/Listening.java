package dev.earshot.gateway.protocol;

import io.vertx.core.Future;

import java.util.concurrent.TimeUnit;

/** Start-up of a protocol listener: waits for it to listen, or fails naming the keys that fix it. */
public final class Listening {

    private Listening() {
    }

    /**
     * @param what      the listener, for the message, e.g. "Wyoming server"
     * @param keyPrefix its configuration prefix, e.g. "earshot.ingest.wyoming"
     */
    public static <T> T await(Future<T> listening, String what, String host, int port, String keyPrefix) {
        try {
            return listening.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new IllegalStateException(what + ": cannot listen on " + host + ":" + port + " (" + cause.getMessage()
                    + "); set " + keyPrefix + ".port to a free port, or " + keyPrefix + ".enabled=false", cause);
        }
    }
}
