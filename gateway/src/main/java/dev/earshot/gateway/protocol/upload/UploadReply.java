package dev.earshot.gateway.protocol.upload;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.earshot.gateway.api.ApiError;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The one answer to an upload, decided at most once, possibly before the body has all arrived. Then the rest of the
 * body is read and dropped, up to the size limit, and the answer is written when it has all arrived (HTTP/1.1 and
 * HTTP/2 clients alike read it then); a client that was waiting for {@code 100 Continue} has sent nothing, and a body
 * over the limit is not worth reading (413): the answer goes out at once and the connection is closed after it.
 * Used on the request's event loop only.
 */
final class UploadReply {

    private final HttpServerRequest request;
    private final ObjectMapper json;
    private final long maxBody;
    private final Map<String, String> headers = new LinkedHashMap<>();
    private boolean continued;
    private boolean sent;
    private long dropped;

    UploadReply(HttpServerRequest request, ObjectMapper json, long maxBody) {
        this.request = request;
        this.json = json;
        this.maxBody = maxBody;
    }

    UploadReply header(String name, String value) {
        headers.put(name, value);
        return this;
    }

    UploadReply retryAfter() {
        return header("Retry-After", "5");
    }

    boolean sent() {
        return sent;
    }

    /** True when the client waits for {@code 100 Continue} before it sends the body. */
    boolean expectsContinue() {
        return request.version() != HttpVersion.HTTP_1_0 && "100-continue".equalsIgnoreCase(request.getHeader("Expect"));
    }

    /** Tells a client that waits for it to send the body. */
    void writeContinue() {
        if (expectsContinue() && !continued) {
            continued = true;
            request.response().writeContinue();
        }
    }

    void error(int status, String message) {
        send(status, new ApiError(status, message));
    }

    /** Sends {@code body} as JSON with {@code status}, unless an answer was sent already or the client is gone. */
    void send(int status, Object body) {
        if (sent) {
            return;
        }
        sent = true;
        HttpServerResponse response = request.response();
        if (response.ended() || response.closed()) {
            return;
        }
        headers.forEach(response::putHeader);
        String json = toJson(body);
        if (request.isEnded()) {
            write(response, status, json, false);
        } else if (status == 413 || (expectsContinue() && !continued)) {
            write(response, status, json, true);
        } else {
            // The rest of the body is read and dropped first: every client reads the answer once it has sent all.
            request.handler(chunk -> {
                dropped += chunk.length();
                if (dropped > maxBody) {
                    write(response, status, json, true); // more than any body may be: answer now, then close
                }
            });
            request.endHandler(v -> write(response, status, json, false));
            request.resume();
        }
    }

    private void write(HttpServerResponse response, int status, String json, boolean close) {
        if (response.ended() || response.closed()) {
            return;
        }
        if (close) {
            response.putHeader("Connection", "close");
            response.endHandler(v -> request.connection().close());
        }
        response.setStatusCode(status).putHeader("Content-Type", "application/json").end(json);
    }

    private String toJson(Object value) {
        try {
            return json.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write " + value.getClass().getSimpleName() + " as JSON", e);
        }
    }
}
