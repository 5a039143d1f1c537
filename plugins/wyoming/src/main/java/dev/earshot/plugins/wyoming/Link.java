package dev.earshot.plugins.wyoming;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * One live connection to a Wyoming program: a started child process or an open socket. {@link #close()} ends it at
 * once (the process is killed, the socket closed) and is idempotent and thread-safe.
 */
interface Link extends AutoCloseable {

    InputStream input();

    OutputStream output();

    /** What the link is, for messages: {@code "process 1234"}, {@code "127.0.0.1:10300"}. */
    String describe();

    /** Why the link ended, once it has (e.g. {@code "exited with code 137"}); null while it is up. */
    String endReason();

    /** Waits up to {@code millis} for the link to end by itself (a process to exit); a no-op for sockets. */
    default void awaitEnd(long millis) throws InterruptedException {
    }

    @Override
    void close();

    /** Opens links of one kind; called from the recognizer's own worker thread. */
    interface Opener {
        Link open() throws IOException;

        /** What the links lead to, for messages: {@code "command 'python3 stt.py'"}, {@code "127.0.0.1:10300"}. */
        String target();
    }
}
