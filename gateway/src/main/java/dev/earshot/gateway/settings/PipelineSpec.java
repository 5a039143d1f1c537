package dev.earshot.gateway.settings;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.earshot.gateway.plugin.ComponentKind;
import dev.earshot.gateway.speech.SpeechGateMode;
import dev.earshot.spi.PluginOption;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.BiFunction;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * A pipeline described in JSON, as {@code PUT /api/pipelines/{name}} takes it and as it is stored in the data folder:
 * the keys of {@code earshot.pipelines.<name>.*} ({@code enabled}, {@code source}, {@code engine}, {@code sinks},
 * {@code hooks}, {@code frame-queue}, {@code max-sessions}, {@code speech-gate}). A component is named by a string
 * (an instance that exists or a type, as in the configuration file) or declared by an object: {@code id} (defaults
 * to the type), {@code type} (defaults to the id), and its options, the keys of {@code earshot.<section>.<id>.*}.
 * <pre>{"engine": "vosk", "sinks": ["log", {"id": "alarm", "type": "keyword-alert", "keywords": "fire"}]}</pre>
 *
 * @param settings     the pipeline as the runtime runs it
 * @param declarations per kind, the instances this spec declares (id to raw options, {@code type} included)
 * @param json         the spec in its normal form (lists as arrays, options as strings), as stored
 */
public record PipelineSpec(PipelineSettings settings, Map<ComponentKind, Map<String, Map<String, String>>> declarations,
                           ObjectNode json) {

    /** Pipeline names and component ids given through the API: they become file and folder names. */
    public static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,63}");
    private static final String NAME_RULE = "1 to 64 of a-z, 0-9, '-' and '_', starting with a letter or digit";
    private static final Set<String> KEYS = Set.of("enabled", "source", "engine", "sinks", "hooks", "frame-queue",
            "max-sessions", "speech-gate");
    private static final Pattern SECRET = Pattern.compile("(^|[-_.])(password|passwd|secret|token|credentials?|api-?key|authorization)($|[-_.])",
            Pattern.CASE_INSENSITIVE);
    private static final ObjectMapper MAPPER = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    public PipelineSpec {
        requireNonNull(settings, "settings is null");
        requireNonNull(json, "json is null");
        EnumMap<ComponentKind, Map<String, Map<String, String>>> copy = new EnumMap<>(ComponentKind.class);
        declarations.forEach((kind, instances) -> copy.put(kind, Map.copyOf(instances)));
        declarations = Map.copyOf(copy);
    }

    public String name() {
        return settings.name();
    }

    /** The instances of one kind this spec declares. */
    public Map<String, Map<String, String>> declared(ComponentKind kind) {
        return declarations.getOrDefault(kind, Map.of());
    }

    /** Why a pipeline name cannot be used through the API, or null. */
    public static String nameProblem(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            return "pipeline name '" + (name == null ? "" : name) + "' is not valid; use " + NAME_RULE;
        }
        return null;
    }

    /**
     * Reads a spec from JSON text.
     *
     * @throws GatewayConfigException naming every problem, each with its key ({@code earshot.pipelines.<name>.<key>}
     *                                or {@code earshot.<section>.<id>.<key>}) and the fix
     */
    public static PipelineSpec parse(String name, String text) {
        String problem = nameProblem(name);
        if (problem != null) {
            throw new GatewayConfigException(List.of(problem));
        }
        JsonNode root;
        try {
            root = MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            throw new GatewayConfigException(List.of("the pipeline spec is not valid JSON: "
                    + e.getOriginalMessage().replaceAll("\\s*\\(start marker at \\[Source[^]]*][^)]*\\)", "")
                    + " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")"));
        }
        if (root == null || !root.isObject()) {
            throw new GatewayConfigException(List.of("the pipeline spec must be a JSON object such as "
                    + "{\"engine\": \"vosk\", \"sinks\": [\"log\"]}"));
        }
        return parse(name, (ObjectNode) root);
    }

    private static PipelineSpec parse(String name, ObjectNode root) {
        String key = "earshot.pipelines." + name;
        List<String> errors = new ArrayList<>();
        EnumMap<ComponentKind, Map<String, Map<String, String>>> declarations = new EnumMap<>(ComponentKind.class);
        ObjectNode json = JsonNodeFactory.instance.objectNode();
        for (Iterator<String> names = root.fieldNames(); names.hasNext(); ) {
            String field = names.next();
            if (!KEYS.contains(field)) {
                errors.add(key + "." + field + ": unknown key; expected one of " + new java.util.TreeSet<>(KEYS)
                        + " (options of a component go into its object: {\"id\": ..., \"type\": ..., \"option\": ...})");
            }
        }
        boolean enabled = bool(root, "enabled", true, key, errors);
        json.put("enabled", enabled);
        Optional<String> source = Optional.empty();
        if (root.hasNonNull("source")) {
            String id = component(ComponentKind.SOURCE, root.get("source"), key + ".source", declarations, errors);
            source = Optional.ofNullable(id);
            json.set("source", normal(ComponentKind.SOURCE, id, declarations));
        }
        String engine = "vosk";
        if (root.has("engine")) {
            engine = component(ComponentKind.ENGINE, root.get("engine"), key + ".engine", declarations, errors);
        }
        json.set("engine", normal(ComponentKind.ENGINE, engine, declarations));
        List<String> sinks = list(ComponentKind.SINK, root.has("sinks") ? root.get("sinks") : JsonNodeFactory.instance.textNode("log"),
                key + ".sinks", declarations, errors);
        json.set("sinks", normalList(ComponentKind.SINK, sinks, declarations));
        List<String> hooks = root.has("hooks") ? list(ComponentKind.HOOK, root.get("hooks"), key + ".hooks", declarations, errors)
                : List.of();
        json.set("hooks", normalList(ComponentKind.HOOK, hooks, declarations));
        int frameQueue = integer(root, "frame-queue", 50, key, errors);
        int maxSessions = integer(root, "max-sessions", 64, key, errors);
        json.put("frame-queue", frameQueue);
        json.put("max-sessions", maxSessions);
        SpeechGateMode gate = SpeechGateMode.AUTO;
        if (root.has("speech-gate")) {
            JsonNode value = root.get("speech-gate");
            try {
                gate = SpeechGateMode.parse(key + ".speech-gate", value.isTextual() ? value.asText() : value.toString());
            } catch (IllegalArgumentException e) {
                errors.add(e.getMessage());
            }
        }
        json.put("speech-gate", gate.name().toLowerCase(java.util.Locale.ROOT));
        if (!errors.isEmpty()) {
            throw new GatewayConfigException(errors);
        }
        return new PipelineSpec(new PipelineSettings(name, enabled, source, engine, sinks, hooks, frameQueue, maxSessions, gate),
                declarations, json);
    }

    /** The spec of a pipeline from the configuration file: components by name only (their options stay there). */
    public static ObjectNode describe(PipelineSettings settings) {
        ObjectNode json = JsonNodeFactory.instance.objectNode();
        json.put("enabled", settings.enabled());
        settings.source().ifPresent(source -> json.put("source", source));
        json.put("engine", settings.engine());
        ArrayNode sinks = json.putArray("sinks");
        settings.sinks().forEach(sinks::add);
        ArrayNode hooks = json.putArray("hooks");
        settings.hooks().forEach(hooks::add);
        json.put("frame-queue", settings.frameQueue());
        json.put("max-sessions", settings.maxSessions());
        json.put("speech-gate", settings.speechGate().name().toLowerCase(java.util.Locale.ROOT));
        return json;
    }

    /**
     * The spec for showing: the values of options that a component's factory declares secret, and of options whose
     * names speak of secrets (password, token, ...) for factories that declare nothing, are masked.
     *
     * @param declared the options a kind and type's factory declares (empty when unknown or none)
     */
    public ObjectNode redacted(BiFunction<ComponentKind, String, List<PluginOption>> declared) {
        ObjectNode copy = json.deepCopy();
        mask(copy.get("source"), ComponentKind.SOURCE, declared);
        mask(copy.get("engine"), ComponentKind.ENGINE, declared);
        mask(copy.get("sinks"), ComponentKind.SINK, declared);
        mask(copy.get("hooks"), ComponentKind.HOOK, declared);
        return copy;
    }

    private static void mask(JsonNode node, ComponentKind kind, BiFunction<ComponentKind, String, List<PluginOption>> declared) {
        if (node instanceof ArrayNode array) {
            array.forEach(element -> mask(element, kind, declared));
        } else if (node instanceof ObjectNode object) {
            String type = object.path("type").asText(object.path("id").asText(""));
            List<PluginOption> options = declared.apply(kind, type);
            List<String> secret = new ArrayList<>();
            object.fieldNames().forEachRemaining(field -> {
                boolean declaredSecret = options.stream().anyMatch(option -> option.secret() && option.covers(field));
                if (declaredSecret || SECRET.matcher(field).find()) {
                    secret.add(field);
                }
            });
            secret.forEach(field -> object.put(field, "***"));
        }
    }

    /** The JSON text stored in the data folder. */
    public String toJsonText() {
        try {
            return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(json) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<String> list(ComponentKind kind, JsonNode node, String key,
                                     Map<ComponentKind, Map<String, Map<String, String>>> declarations, List<String> errors) {
        List<String> ids = new ArrayList<>();
        if (node.isTextual()) {
            for (String part : node.asText().split(",")) {
                String id = part.trim();
                String checked = id.isEmpty() || id.equals("none") ? null : reference(kind, id, key, errors);
                if (checked != null) {
                    ids.add(checked);
                }
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                String id = component(kind, node.get(i), key + "[" + i + "]", declarations, errors);
                if (id != null) {
                    if (ids.contains(id)) {
                        errors.add(key + "[" + i + "]: " + kind.singular() + " '" + id + "' is listed twice; list it once");
                    }
                    ids.add(id);
                }
            }
        } else if (!node.isNull()) {
            errors.add(key + ": expected a list of " + kind.section() + " (names or objects with id, type and options), got "
                    + node.getNodeType().name().toLowerCase(java.util.Locale.ROOT));
        }
        return ids;
    }

    /** A component named (a string) or declared (an object); returns its id, or null after an error. */
    private static String component(ComponentKind kind, JsonNode node, String key,
                                    Map<ComponentKind, Map<String, Map<String, String>>> declarations, List<String> errors) {
        if (node.isTextual()) {
            return reference(kind, node.asText().trim(), key, errors);
        }
        if (!node.isObject()) {
            errors.add(key + ": expected the name of a " + kind.singular() + " or an object {\"id\": ..., \"type\": ..., "
                    + "options}, got " + node.getNodeType().name().toLowerCase(java.util.Locale.ROOT));
            return null;
        }
        JsonNode idNode = node.get("id");
        JsonNode typeNode = node.get("type");
        if ((idNode == null || !idNode.isTextual()) && (typeNode == null || !typeNode.isTextual())) {
            errors.add(key + ": a declared " + kind.singular() + " needs \"id\" or \"type\" (a string)");
            return null;
        }
        String id = (idNode != null && idNode.isTextual() ? idNode : typeNode).asText().trim();
        String problem = idProblem(kind, id, key);
        if (problem != null) {
            errors.add(problem);
            return null;
        }
        String prefix = kind.prefix(id);
        Map<String, String> options = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> fields = node.fields(); fields.hasNext(); ) {
            Map.Entry<String, JsonNode> field = fields.next();
            if (field.getKey().equals("id")) {
                continue;
            }
            String value = scalar(field.getValue());
            if (value == null) {
                errors.add(prefix + "." + field.getKey() + ": expected a string, number, boolean or a list of them, got "
                        + field.getValue().getNodeType().name().toLowerCase(java.util.Locale.ROOT));
            } else {
                options.put(field.getKey(), value);
            }
        }
        options.putIfAbsent("type", id);
        Map<String, Map<String, String>> declared = declarations.computeIfAbsent(kind, k -> new LinkedHashMap<>());
        Map<String, String> earlier = declared.putIfAbsent(id, options);
        if (earlier != null && !earlier.equals(options)) {
            errors.add(key + ": " + kind.singular() + " '" + id + "' is declared twice with different options; declare it once");
        }
        return id;
    }

    private static String reference(ComponentKind kind, String id, String key, List<String> errors) {
        String problem = idProblem(kind, id, key);
        if (problem != null) {
            errors.add(problem);
            return null;
        }
        return id;
    }

    private static String idProblem(ComponentKind kind, String id, String key) {
        return NAME.matcher(id).matches() ? null
                : key + ": " + kind.singular() + " id '" + id + "' is not valid; use " + NAME_RULE;
    }

    private static String scalar(JsonNode value) {
        if (value.isTextual()) {
            return value.asText();
        }
        if (value.isNumber() || value.isBoolean()) {
            return value.asText();
        }
        if (value.isArray()) {
            List<String> parts = new ArrayList<>();
            for (JsonNode item : value) {
                if (!(item.isTextual() || item.isNumber() || item.isBoolean())) {
                    return null;
                }
                parts.add(item.asText());
            }
            return String.join(",", parts);
        }
        return null;
    }

    private static boolean bool(ObjectNode root, String field, boolean fallback, String key, List<String> errors) {
        JsonNode value = root.get(field);
        if (value == null || value.isNull()) {
            return fallback;
        }
        if (value.isBoolean()) {
            return value.asBoolean();
        }
        if (value.isTextual() && (value.asText().equals("true") || value.asText().equals("false"))) {
            return Boolean.parseBoolean(value.asText());
        }
        errors.add(key + "." + field + ": " + shown(value) + " is not valid; expected true or false");
        return fallback;
    }

    private static int integer(ObjectNode root, String field, int fallback, String key, List<String> errors) {
        JsonNode value = root.get(field);
        if (value == null || value.isNull()) {
            return fallback;
        }
        if (value.isInt()) {
            return value.asInt();
        }
        if (value.isTextual()) {
            try {
                return Integer.parseInt(value.asText().trim());
            } catch (NumberFormatException e) {
                // reported below
            }
        }
        errors.add(key + "." + field + ": " + shown(value) + " is not valid; expected a whole number");
        return fallback;
    }

    private static String shown(JsonNode value) {
        return value.isTextual() ? "'" + value.asText() + "'" : value.toString();
    }

    private static JsonNode normal(ComponentKind kind, String id, Map<ComponentKind, Map<String, Map<String, String>>> declarations) {
        Map<String, String> declared = id == null ? null : declarations.getOrDefault(kind, Map.of()).get(id);
        if (declared == null) {
            return JsonNodeFactory.instance.textNode(id);
        }
        ObjectNode object = JsonNodeFactory.instance.objectNode();
        object.put("id", id);
        declared.forEach(object::put);
        return object;
    }

    private static ArrayNode normalList(ComponentKind kind, List<String> ids,
                                        Map<ComponentKind, Map<String, Map<String, String>>> declarations) {
        ArrayNode array = JsonNodeFactory.instance.arrayNode();
        ids.forEach(id -> array.add(normal(kind, id, declarations)));
        return array;
    }
}
