package dev.earshot.wyoming;

import java.io.IOException;

/**
 * A Wyoming stream breaks the protocol. {@link #code()} names the problem in the form a server sends back in its
 * {@code error} event ({@code bad-json}, {@code bad-header}, {@code header-too-long}, {@code too-large},
 * {@code bad-data}, {@code bad-payload}, ...); the message says what was wrong and, for a limit, which setting sets it.
 */
public final class WyomingException extends IOException {

    private final String code;

    public WyomingException(String code, String message) {
        super(message);
        this.code = code;
    }

    public String code() {
        return code;
    }

    /** A stack trace says nothing about a peer's bad bytes: none is taken. */
    @Override
    public synchronized Throwable fillInStackTrace() {
        return this;
    }
}
