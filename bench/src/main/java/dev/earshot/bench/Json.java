package dev.earshot.bench;

import java.util.Collection;
import java.util.Map;

/** Writes the benchmark results (maps, lists, numbers, strings) as indented JSON. */
final class Json {

    private Json() {
    }

    static String write(Object value) {
        StringBuilder out = new StringBuilder();
        write(out, value, "");
        return out.toString();
    }

    private static void write(StringBuilder out, Object value, String indent) {
        if (value instanceof Map<?, ?> map) {
            out.append("{");
            String inner = indent + "  ";
            int i = 0;
            for (Map.Entry<?, ?> entry : map.entrySet()) {
                out.append(i++ == 0 ? "\n" : ",\n").append(inner).append('"').append(entry.getKey()).append("\": ");
                write(out, entry.getValue(), inner);
            }
            out.append(map.isEmpty() ? "}" : "\n" + indent + "}");
        } else if (value instanceof Collection<?> list) {
            out.append("[");
            int i = 0;
            for (Object item : list) {
                out.append(i++ == 0 ? "" : ", ");
                write(out, item, indent);
            }
            out.append("]");
        } else if (value instanceof Number || value instanceof Boolean) {
            out.append(value);
        } else {
            out.append('"').append(String.valueOf(value).replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
        }
    }
}
