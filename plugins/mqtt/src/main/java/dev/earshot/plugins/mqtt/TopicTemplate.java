package dev.earshot.plugins.mqtt;

import dev.earshot.spi.PluginException;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A topic with placeholders, e.g. {@code earshot/{device}/{pipeline}/transcript}, checked when the sink is created:
 * unknown placeholders, unbalanced braces and MQTT wildcards ({@code +}, {@code #}) are errors naming the key.
 * Values put into a topic have {@code / + #} replaced by {@code _}, so that a pipeline name cannot change the
 * topic's levels.
 */
final class TopicTemplate {

    private final String template;
    private final List<String> parts = new ArrayList<>();   // literal, placeholder, literal, ...

    private TopicTemplate(String template) {
        this.template = template;
    }

    static TopicTemplate parse(String key, String template, Set<String> placeholders) {
        if (template.isEmpty()) {
            throw new PluginException(key + ": the topic is empty");
        }
        if (template.contains("+") || template.contains("#")) {
            throw new PluginException(key + ": '" + template + "' contains an MQTT wildcard (+ or #); a publish topic"
                    + " must name one topic, e.g. earshot/{device}/{pipeline}/transcript");
        }
        if (template.indexOf('\0') >= 0 || template.startsWith("$")) {
            throw new PluginException(key + ": '" + template + "' is not a valid topic (no NUL character, no leading $)");
        }
        TopicTemplate parsed = new TopicTemplate(template);
        StringBuilder literal = new StringBuilder();
        for (int i = 0; i < template.length(); i++) {
            char c = template.charAt(i);
            if (c == '}') {
                throw new PluginException(key + ": '" + template + "' has a '}' without '{' at position " + i);
            }
            if (c != '{') {
                literal.append(c);
                continue;
            }
            int end = template.indexOf('}', i);
            if (end < 0) {
                throw new PluginException(key + ": '" + template + "' has a '{' without '}' at position " + i);
            }
            String name = template.substring(i + 1, end);
            if (!placeholders.contains(name)) {
                throw new PluginException(key + ": '" + template + "' uses unknown placeholder {" + name
                        + "}; available: " + String.join(", ", new TreeSet<>(placeholders).stream().map(p -> "{" + p + "}").toList()));
            }
            parsed.parts.add(literal.toString());
            parsed.parts.add(name);
            literal.setLength(0);
            i = end;
        }
        parsed.parts.add(literal.toString());
        return parsed;
    }

    String render(Map<String, String> values) {
        StringBuilder topic = new StringBuilder(template.length() + 32);
        for (int i = 0; i < parts.size(); i++) {
            topic.append(i % 2 == 0 ? parts.get(i) : safe(values.getOrDefault(parts.get(i), "")));
        }
        return topic.toString();
    }

    static String safe(String value) {
        return value.replace('/', '_').replace('+', '_').replace('#', '_');
    }

    @Override
    public String toString() {
        return template;
    }
}
