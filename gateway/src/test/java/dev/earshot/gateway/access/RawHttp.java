package dev.earshot.gateway.access;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * An HTTP/1.1 client that sends the request line exactly as written: HTTP libraries normalise or refuse the path
 * spellings the access check must resist ({@code ;}, {@code //}, {@code ..}, backslashes). Reads the status only.
 */
final class RawHttp {

    /** One request of the matrix. */
    record Request(String method, String path, Map<String, String> headers) {
        @Override
        public String toString() {
            return method + " " + path + (headers.isEmpty() ? "" : " " + headers);
        }
    }

    private RawHttp() {
    }

    /** The status of the answer, or -1 when none came. */
    static int status(String host, int port, Request request) {
        StringBuilder head = new StringBuilder(request.method()).append(' ').append(request.path()).append(" HTTP/1.1\r\n");
        request.headers().forEach((name, value) -> head.append(name).append(": ").append(value).append("\r\n"));
        head.append("Content-Length: 0\r\n");
        if (!request.headers().containsKey("Connection")) {
            head.append("Connection: close\r\n");
        }
        head.append("\r\n");
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), 10_000);
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = socket.getInputStream();
            StringBuilder line = new StringBuilder();
            for (int b = in.read(); b >= 0 && b != '\n' && line.length() < 4096; b = in.read()) {
                line.append((char) b);
            }
            String[] parts = line.toString().trim().split(" ");
            return parts.length > 1 && parts[0].startsWith("HTTP/") ? Integer.parseInt(parts[1]) : -1;
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }
}
