package dev.earshot.gateway.protocol;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Plain-text HTTP answers of the protocol endpoints: errors, Content-Type checks, and bounded text bodies whose
 * oversized rest is drained before the connection closes (so the client reads its 413). Event loop only.
 */
public final class HttpText {

    private HttpText() {
    }

    /** True when the request's Content-Type is {@code expected}; otherwise 415 with {@code headers} was sent. */
    public static boolean hasType(RoutingContext ctx, String expected, Map<String, String> headers) {
        String type = ctx.request().getHeader("Content-Type");
        String base = type == null ? "" : type.split(";", 2)[0].trim();
        if (!base.equalsIgnoreCase(expected)) {
            error(ctx, 415, "Content-Type must be " + expected + (type == null ? " (none was sent)" : ", not '" + type + "'"),
                    headers);
            return false;
        }
        return true;
    }

    /**
     * Reads a UTF-8 text body of at most {@code max} bytes; {@code then} gets it, or null after 413/400 was sent.
     * The rest of an oversized body is read and dropped (bounded) before its connection is closed.
     *
     * @param what   the body, as the error names it ("offer")
     * @param maxKey the configuration key of {@code max}, named in the 413 answer
     */
    public static void readBody(RoutingContext ctx, long max, String what, String maxKey, Consumer<String> then) {
        HttpServerRequest request = ctx.request();
        String length = request.getHeader("Content-Length");
        if (length != null) {
            try {
                if (Long.parseLong(length.trim()) > max) {
                    tooLarge(ctx, max, what, maxKey);
                    then.accept(null);
                    return;
                }
            } catch (NumberFormatException e) {
                error(ctx, 400, "Content-Length '" + length + "' is not a number", Map.of("Connection", "close"));
                then.accept(null);
                return;
            }
        }
        Buffer body = Buffer.buffer();
        boolean[] done = new boolean[1];
        request.handler(chunk -> {
            if (done[0]) {
                return;
            }
            if (body.length() + chunk.length() > max) {
                done[0] = true;
                tooLarge(ctx, max, what, maxKey);
                then.accept(null);
                return;
            }
            body.appendBuffer(chunk);
        });
        request.exceptionHandler(e -> {
            if (!done[0]) {
                done[0] = true;
                then.accept(null);
            }
        });
        request.endHandler(v -> {
            if (done[0]) {
                return;
            }
            done[0] = true;
            try {
                String text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(body.getBytes())).toString();
                then.accept(text);
            } catch (CharacterCodingException e) {
                error(ctx, 400, "invalid " + what + ": the body is not UTF-8 text", Map.of());
                then.accept(null);
            }
        });
        request.resume();
    }

    private static void tooLarge(RoutingContext ctx, long max, String what, String maxKey) {
        HttpServerResponse response = ctx.response();
        if (response.ended() || response.closed()) {
            return;
        }
        // Connection: close, so that the client does not send another request on a connection about to be closed.
        response.setStatusCode(413).putHeader("Content-Type", "text/plain; charset=utf-8").putHeader("Connection", "close")
                .end("the " + what + " is larger than " + max + " bytes (" + maxKey + ")\n");
        drainThenClose(ctx);
    }

    /** How much of a refused body is read and dropped before its connection is closed anyway. */
    private static final long DRAIN_LIMIT = 1024 * 1024;

    /**
     * Reads and drops the rest of a refused body (at most {@link #DRAIN_LIMIT} bytes, for at most 5 s), then closes
     * the connection. Closing while the client is still sending would make the TCP stack reset the connection, and
     * the client would lose the 413 it was sent.
     */
    private static void drainThenClose(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        long[] dropped = {0};
        long timer = ctx.vertx().setTimer(5000, id -> request.connection().close());
        request.handler(chunk -> {
            dropped[0] += chunk.length();
            if (dropped[0] > DRAIN_LIMIT) {
                ctx.vertx().cancelTimer(timer);
                request.connection().close();
            }
        });
        request.endHandler(v -> {
            ctx.vertx().cancelTimer(timer);
            request.connection().close();
        });
        request.exceptionHandler(e -> ctx.vertx().cancelTimer(timer));
        request.resume();
    }

    /** 503 with {@code Retry-After: 5}: the gateway is starting, stopping or full; the client may try again. */
    public static void unavailable(RoutingContext ctx, String message) {
        error(ctx, 503, message, Map.of("Retry-After", "5"));
    }

    /** A plain-text error answer with {@code headers}, unless an answer was sent already or the client is gone. */
    public static void error(RoutingContext ctx, int status, String message, Map<String, String> headers) {
        HttpServerResponse response = ctx.response();
        if (response.ended() || response.closed()) {
            return;
        }
        response.setStatusCode(status).putHeader("Content-Type", "text/plain; charset=utf-8");
        headers.forEach(response::putHeader);
        response.end(message + "\n");
    }
}
