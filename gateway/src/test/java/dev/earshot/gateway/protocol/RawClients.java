package dev.earshot.gateway.protocol;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Clients on plain sockets that the tests control byte by byte: connected from a chosen loopback address (the
 * listeners bind 127.0.0.1; any 127/8 address reaches them and is another peer to them), speaking HTTP, WebSocket
 * (RFC 6455 frames, masked as a client must) and Wyoming just enough to misbehave on purpose.
 */
public final class RawClients {

    private RawClients() {
    }

    /** A TCP connection from {@code local} (e.g. "127.0.0.2") to 127.0.0.1:port. */
    public static Socket connect(String local, int port) throws IOException {
        return connect(local, port, 0);
    }

    /** The same, with a small receive buffer ({@code receiveBuffer} bytes; 0: the system's) for a client that reads nothing. */
    public static Socket connect(String local, int port, int receiveBuffer) throws IOException {
        Socket socket = new Socket();
        if (receiveBuffer > 0) {
            socket.setReceiveBufferSize(receiveBuffer);
        }
        socket.bind(new InetSocketAddress(InetAddress.getByName(local), 0));
        socket.connect(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port), 5_000);
        socket.setSoTimeout(10_000);
        return socket;
    }

    /** The response head (status line and headers) of an HTTP request just sent. */
    public static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            head.write(b);
            matched = (b == "\r\n\r\n".charAt(matched)) ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    public static int status(String head) {
        String[] parts = head.split(" ", 3);
        return parts.length > 1 && parts[1].matches("\\d{3}") ? Integer.parseInt(parts[1]) : -1;
    }

    /** The rest of a response with a Content-Length (or up to {@code max} bytes). */
    static String readBody(InputStream in, String head, int max) throws IOException {
        int length = max;
        for (String line : head.split("\r\n")) {
            if (line.toLowerCase().startsWith("content-length:")) {
                length = Integer.parseInt(line.substring(15).trim());
            }
        }
        return new String(in.readNBytes(length), StandardCharsets.UTF_8);
    }

    /** Sends a WebSocket upgrade for {@code path} and returns the response head (101 on success). */
    static String upgrade(Socket socket, String path) throws IOException {
        byte[] key = new byte[16];
        ThreadLocalRandom.current().nextBytes(key);
        String request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: " + Base64.getEncoder().encodeToString(key) + "\r\nSec-WebSocket-Version: 13\r\n\r\n";
        socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
        return readHead(socket.getInputStream());
    }

    /** One masked client frame (FIN set): opcode 1 text, 2 binary. */
    static byte[] frame(int opcode, byte[] payload) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(payload.length + 14);
        out.write(0x80 | opcode);
        if (payload.length < 126) {
            out.write(0x80 | payload.length);
        } else if (payload.length < 65_536) {
            out.write(0x80 | 126);
            out.write(payload.length >>> 8);
            out.write(payload.length & 0xff);
        } else {
            out.write(0x80 | 127);
            for (int shift = 56; shift >= 0; shift -= 8) {
                out.write((int) ((long) payload.length >>> shift) & 0xff);
            }
        }
        byte[] mask = new byte[4];
        ThreadLocalRandom.current().nextBytes(mask);
        out.writeBytes(mask);
        for (int i = 0; i < payload.length; i++) {
            out.write(payload[i] ^ mask[i % 4]);
        }
        return out.toByteArray();
    }

    /** Writes {@code unit} again and again until {@code maxBytes}, the deadline or a failure; returns bytes written. */
    public static long flood(OutputStream out, byte[] unit, long maxBytes, long deadlineNanos, java.util.concurrent.atomic.AtomicLong sent) {
        try {
            while (sent.get() < maxBytes && System.nanoTime() < deadlineNanos) {
                out.write(unit);
                sent.addAndGet(unit.length);
            }
        } catch (IOException closedByServer) {
            // the server closed the connection: what the tests wait for
        }
        return sent.get();
    }
}
