package dev.earshot.gateway.api;

import io.quarkus.runtime.annotations.RegisterForReflection;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/** The body of every API error: {@code {"status": 400, "error": "what went wrong and how to fix it"}}. */
@RegisterForReflection
public record ApiError(int status, String error) {

    public static WebApplicationException of(Response.Status status, String message) {
        return new WebApplicationException(message, response(status.getStatusCode(), message).build());
    }

    public static Response.ResponseBuilder response(int status, String message) {
        return Response.status(status).type(MediaType.APPLICATION_JSON_TYPE).entity(new ApiError(status, message));
    }
}
