package dev.earshot.json;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A strict, small JSON reader and writer with the JDK only, for plugins (the gateway uses Jackson). Objects become
 * {@code Map<String, Object>} (in document order), arrays {@code List<Object>}, numbers {@code Double} (or
 * {@code Long} when whole), plus {@code String}, {@code Boolean} and {@code null}. Nesting is bounded.
 */
public final class Json {

    /** The text is not valid JSON, or not of the expected shape; the message says what and where. */
    public static final class JsonException extends Exception {
        public JsonException(String message) {
            super(message, null, false, false);
        }
    }

    private static final int MAX_DEPTH = 64;

    private final String text;
    private int position;

    private Json(String text) {
        this.text = text;
    }

    /** Parses one JSON object. */
    public static Map<String, Object> parseObject(String text) throws JsonException {
        Json parser = new Json(text);
        parser.skipSpace();
        if (parser.position >= text.length() || text.charAt(parser.position) != '{') {
            throw new JsonException("not a JSON object");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> value = (Map<String, Object>) parser.value(0);
        parser.skipSpace();
        if (parser.position != text.length()) {
            throw new JsonException("unexpected text after the object at offset " + parser.position);
        }
        return value;
    }

    private Object value(int depth) throws JsonException {
        if (depth > MAX_DEPTH) {
            throw new JsonException("nested deeper than " + MAX_DEPTH);
        }
        skipSpace();
        if (position >= text.length()) {
            throw new JsonException("unexpected end");
        }
        char c = text.charAt(position);
        switch (c) {
            case '{' -> {
                position++;
                Map<String, Object> map = new LinkedHashMap<>();
                skipSpace();
                if (peek() == '}') {
                    position++;
                    return map;
                }
                while (true) {
                    skipSpace();
                    if (peek() != '"') {
                        throw new JsonException("expected a key at offset " + position);
                    }
                    String key = string();
                    skipSpace();
                    expect(':');
                    map.put(key, value(depth + 1));
                    skipSpace();
                    char next = next();
                    if (next == '}') {
                        return map;
                    }
                    if (next != ',') {
                        throw new JsonException("expected ',' or '}' at offset " + (position - 1));
                    }
                }
            }
            case '[' -> {
                position++;
                List<Object> list = new ArrayList<>();
                skipSpace();
                if (peek() == ']') {
                    position++;
                    return list;
                }
                while (true) {
                    list.add(value(depth + 1));
                    skipSpace();
                    char next = next();
                    if (next == ']') {
                        return list;
                    }
                    if (next != ',') {
                        throw new JsonException("expected ',' or ']' at offset " + (position - 1));
                    }
                }
            }
            case '"' -> {
                return string();
            }
            case 't' -> {
                literal("true");
                return Boolean.TRUE;
            }
            case 'f' -> {
                literal("false");
                return Boolean.FALSE;
            }
            case 'n' -> {
                literal("null");
                return null;
            }
            default -> {
                return number();
            }
        }
    }

    private String string() throws JsonException {
        expect('"');
        StringBuilder out = new StringBuilder();
        while (true) {
            char c = next();
            if (c == '"') {
                return out.toString();
            }
            if (c == '\\') {
                char e = next();
                switch (e) {
                    case '"', '\\', '/' -> out.append(e);
                    case 'b' -> out.append('\b');
                    case 'f' -> out.append('\f');
                    case 'n' -> out.append('\n');
                    case 'r' -> out.append('\r');
                    case 't' -> out.append('\t');
                    case 'u' -> {
                        if (position + 4 > text.length()) {
                            throw new JsonException("bad \\u escape at offset " + position);
                        }
                        try {
                            out.append((char) Integer.parseInt(text.substring(position, position + 4), 16));
                        } catch (NumberFormatException ex) {
                            throw new JsonException("bad \\u escape at offset " + position);
                        }
                        position += 4;
                    }
                    default -> throw new JsonException("bad escape '\\" + e + "' at offset " + (position - 1));
                }
            } else if (c < 0x20) {
                throw new JsonException("control character in a string at offset " + (position - 1));
            } else {
                out.append(c);
            }
        }
    }

    private Object number() throws JsonException {
        int start = position;
        while (position < text.length() && "+-0123456789.eE".indexOf(text.charAt(position)) >= 0) {
            position++;
        }
        String raw = text.substring(start, position);
        if (raw.isEmpty()) {
            throw new JsonException("unexpected '" + text.charAt(start) + "' at offset " + start);
        }
        try {
            double value = Double.parseDouble(raw);
            if (value == Math.rint(value) && Math.abs(value) < 1e15 && raw.indexOf('.') < 0 && raw.indexOf('e') < 0
                    && raw.indexOf('E') < 0) {
                return (long) value;
            }
            return value;
        } catch (NumberFormatException e) {
            throw new JsonException("bad number '" + raw + "' at offset " + start);
        }
    }

    private void literal(String word) throws JsonException {
        if (!text.startsWith(word, position)) {
            throw new JsonException("unexpected text at offset " + position);
        }
        position += word.length();
    }

    private void expect(char c) throws JsonException {
        if (next() != c) {
            throw new JsonException("expected '" + c + "' at offset " + (position - 1));
        }
    }

    private char next() throws JsonException {
        if (position >= text.length()) {
            throw new JsonException("unexpected end");
        }
        return text.charAt(position++);
    }

    private char peek() {
        return position < text.length() ? text.charAt(position) : '\0';
    }

    private void skipSpace() {
        while (position < text.length() && Character.isWhitespace(text.charAt(position))) {
            position++;
        }
    }

    /** Writes a value made of maps, lists, strings, numbers, booleans and nulls. */
    public static void write(StringBuilder out, Object value) {
        if (value == null) {
            out.append("null");
        } else if (value instanceof String s) {
            string(out, s);
        } else if (value instanceof Number || value instanceof Boolean) {
            out.append(value);
        } else if (value instanceof Map<?, ?> map) {
            out.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> entry : map.entrySet()) {
                if (!first) {
                    out.append(',');
                }
                first = false;
                string(out, String.valueOf(entry.getKey()));
                out.append(':');
                write(out, entry.getValue());
            }
            out.append('}');
        } else if (value instanceof List<?> list) {
            out.append('[');
            for (int i = 0; i < list.size(); i++) {
                if (i > 0) {
                    out.append(',');
                }
                write(out, list.get(i));
            }
            out.append(']');
        } else {
            throw new IllegalArgumentException("cannot write " + value.getClass().getName() + " as JSON");
        }
    }

    /** Appends {@code value} as a JSON string literal: quoted, with quotes, backslashes and control characters escaped. */
    public static void string(StringBuilder out, String value) {
        out.append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    /** Appends a number as the canonical event form writes it: NaN and infinities as null, whole values with ".0". */
    public static void number(StringBuilder out, double value) {
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            out.append("null");
        } else if (value == Math.rint(value) && Math.abs(value) < 1e15) {
            out.append((long) value).append(".0");
        } else {
            out.append(value);
        }
    }
}
