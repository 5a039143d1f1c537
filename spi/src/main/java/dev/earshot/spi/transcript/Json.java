package dev.earshot.spi.transcript;

import java.util.List;

/**
 * The few JSON writing rules {@link TranscriptEvent#toJson()} needs; keeps the SPI free of dependencies. Its string
 * writer is public for plugins that write small JSON documents without a library (e.g. the Wyoming engines).
 */
public final class Json {

    private Json() {
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

    static void number(StringBuilder out, double value) {
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            out.append("null");
        } else if (value == Math.rint(value) && Math.abs(value) < 1e15) {
            out.append((long) value).append(".0");
        } else {
            out.append(value);
        }
    }

    static void words(StringBuilder out, List<Word> words) {
        out.append('[');
        for (int i = 0; i < words.size(); i++) {
            Word word = words.get(i);
            out.append(i == 0 ? "{\"word\":" : ",{\"word\":");
            string(out, word.word());
            out.append(",\"start\":");
            number(out, word.start());
            out.append(",\"end\":");
            number(out, word.end());
            out.append(",\"conf\":");
            number(out, word.confidence());
            out.append('}');
        }
        out.append(']');
    }
}
