package dev.earshot.gateway.access;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * A request path as the access check sees it. Frameworks behind the guard normalise paths in their own ways (Vert.x
 * resolves dot segments, RESTEasy drops {@code ;} parameters, both decode percent-escapes), so the guard resolves the
 * raw path the most permissive way any of them could: {@code ;} parameters dropped from every segment, percent-escapes
 * decoded, empty segments and {@code .} removed, {@code ..} resolved. The result decides which access level a request
 * needs. Only a path that needed none of this ({@link #clean()}) can be a public route, so no spelling of a path can
 * turn a protected route into a public one.
 *
 * @param canonical the resolved path, {@code /} for the root, without a trailing slash
 * @param clean     whether the raw path was already in that form (a trailing slash on the root only)
 */
public record RequestPath(String canonical, boolean clean) {

    /** A raw path that no route may see: a decoded separator, a NUL or other control character, a bad escape. */
    public static final class InvalidPathException extends Exception {
        InvalidPathException(String message) {
            super(message);
        }
    }

    /** Resolves a raw request path (without the query string). */
    public static RequestPath of(String raw) throws InvalidPathException {
        if (raw == null || raw.isEmpty() || raw.charAt(0) != '/') {
            throw new InvalidPathException("the request path must start with '/'");
        }
        Deque<String> segments = new ArrayDeque<>();
        for (String segment : raw.substring(1).split("/", -1)) {
            int parameters = segment.indexOf(';');
            String name = decode(parameters < 0 ? segment : segment.substring(0, parameters));
            if (name.isEmpty() || name.equals(".")) {
                continue;
            }
            if (name.equals("..")) {
                segments.pollLast();
                continue;
            }
            segments.addLast(name);
        }
        String canonical = "/" + String.join("/", segments);
        return new RequestPath(canonical, raw.equals(canonical));
    }

    private static String decode(String segment) throws InvalidPathException {
        if (segment.indexOf('%') < 0) {
            check(segment);
            return segment;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(segment.length());
        for (int i = 0; i < segment.length(); i++) {
            char c = segment.charAt(i);
            if (c != '%') {
                bytes.writeBytes(String.valueOf(c).getBytes(StandardCharsets.UTF_8));
                continue;
            }
            if (i + 2 >= segment.length() || Character.digit(segment.charAt(i + 1), 16) < 0
                    || Character.digit(segment.charAt(i + 2), 16) < 0) {
                throw new InvalidPathException("malformed percent-escape in the request path");
            }
            bytes.write(Character.digit(segment.charAt(i + 1), 16) * 16 + Character.digit(segment.charAt(i + 2), 16));
            i += 2;
        }
        String decoded = bytes.toString(StandardCharsets.UTF_8);
        if (decoded.indexOf('%') >= 0) {
            throw new InvalidPathException("a percent-escape in the request path decodes to another escape");
        }
        check(decoded);
        return decoded;
    }

    private static void check(String segment) throws InvalidPathException {
        for (int i = 0; i < segment.length(); i++) {
            char c = segment.charAt(i);
            if (c == '/' || c == '\\') {
                throw new InvalidPathException("an encoded or back slash in the request path");
            }
            if (c < 0x20 || c == 0x7f) {
                throw new InvalidPathException("a control character in the request path");
            }
        }
    }
}
