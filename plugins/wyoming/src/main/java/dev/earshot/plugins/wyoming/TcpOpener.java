package dev.earshot.plugins.wyoming;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;

/** Connects to a Wyoming ASR server over TCP: one connection per session (Wyoming transcribes one stream at a time). */
final class TcpOpener implements Link.Opener {

    private final String host;
    private final int port;
    private final int connectTimeoutMillis;

    TcpOpener(String host, int port, int connectTimeoutMillis) {
        this.host = host;
        this.port = port;
        this.connectTimeoutMillis = connectTimeoutMillis;
    }

    @Override
    public String target() {
        return host + ":" + port;
    }

    @Override
    public Link open() throws IOException {
        Socket socket = new Socket();
        try {
            socket.setTcpNoDelay(true);
            socket.connect(new InetSocketAddress(host, port), connectTimeoutMillis);
        } catch (IOException e) {
            socket.close();
            throw new IOException("cannot connect to " + target() + ": " + e.getMessage(), e);
        }
        return new SocketLink(socket, target());
    }

    private static final class SocketLink implements Link {
        private final Socket socket;
        private final String target;
        private final InputStream input;
        private final OutputStream output;
        private volatile boolean closed;

        SocketLink(Socket socket, String target) throws IOException {
            this.socket = socket;
            this.target = target;
            this.input = new BufferedInputStream(socket.getInputStream(), 65_536);
            this.output = new BufferedOutputStream(socket.getOutputStream(), 65_536);
        }

        @Override
        public InputStream input() {
            return input;
        }

        @Override
        public OutputStream output() {
            return output;
        }

        @Override
        public String describe() {
            return "connection to " + target;
        }

        @Override
        public String endReason() {
            return closed ? "closed by the gateway" : null;
        }

        @Override
        public void close() {
            closed = true;
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }
}
