package dev.earshot.plugins.mqtt;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Home Assistant MQTT discovery for one sink: per pipeline, an {@code event} entity that fires on every final
 * transcript (the same phrase twice fires twice, so automations run each time) and a "last transcript" {@code sensor}
 * for dashboards. Both read the pipeline's final topic and follow the sink's availability topic.
 *
 * <p>Entity ids are set with {@code default_entity_id} ({@code <domain>.earshot_<device>_<pipeline>...}), and every
 * configuration names its origin (Earshot and its version), the device's software version and, when configured, the
 * console's address.
 *
 * @param prefix              discovery prefix, {@code homeassistant} by default
 * @param device              the sink's {@code device} value
 * @param sink                the sink's id
 * @param version             Earshot's version, for {@code origin} and {@code sw_version}
 * @param configurationUrl    the console's address shown in Home Assistant's device page, or null
 * @param availabilityTopic   the sink's availability topic ({@code online}/{@code offline}, retained)
 * @param finalTopic          the final topic's template (no {@code {session}}: the factory checks)
 */
record HomeAssistantDiscovery(String prefix, String device, String sink, String version, String configurationUrl,
                              String availabilityTopic, TopicTemplate finalTopic) {

    /** Home Assistant's birth and last-will topic: {@code online} after it starts, and then it wants discovery again. */
    String statusTopic() {
        return prefix + "/status";
    }

    /** The retained discovery messages (topic to payload) for one pipeline. */
    Map<String, JsonObject> configs(String pipeline) {
        String base = "earshot_" + slug(device) + "_" + slug(sink) + "_" + slug(pipeline);
        String entity = ("earshot_" + slug(device) + "_" + slug(pipeline)).toLowerCase(Locale.ROOT).replace('-', '_');
        String stateTopic = finalTopic.render(Map.of("device", device, "pipeline", pipeline, "session", "", "sink", sink));
        JsonObject event = common(stateTopic)
                .put("name", "Transcript (" + pipeline + ")")
                .put("unique_id", base + "_transcript")
                .put("default_entity_id", "event." + entity + "_transcript")
                .put("event_types", new JsonArray().add("transcript"))
                .put("value_template", "{{ {'event_type': 'transcript', 'text': value_json.text, 'id': value_json.id,"
                        + " 'session': value_json.session, 'timestamp': value_json.timestamp} | tojson }}")
                .put("icon", "mdi:account-voice");
        JsonObject sensor = common(stateTopic)
                .put("name", "Last transcript (" + pipeline + ")")
                .put("unique_id", base + "_last")
                .put("default_entity_id", "sensor." + entity + "_last_transcript")
                .put("value_template", "{{ value_json.text[:255] }}")
                .put("json_attributes_topic", stateTopic)
                .put("json_attributes_template", "{{ {'id': value_json.id, 'session': value_json.session, "
                        + "'timestamp': value_json.timestamp} | tojson }}")
                .put("icon", "mdi:microphone-message");
        return Map.of(prefix + "/event/" + base + "/config", event, prefix + "/sensor/" + base + "/config", sensor);
    }

    /** The discovery topics of one pipeline, to withdraw it with an empty retained message. */
    List<String> topics(String pipeline) {
        return List.copyOf(configs(pipeline).keySet());
    }

    private JsonObject common(String stateTopic) {
        JsonObject deviceInfo = new JsonObject()
                .put("identifiers", new JsonArray().add("earshot_" + slug(device)))
                .put("name", "Earshot " + device)
                .put("manufacturer", "Earshot")
                .put("model", "edge media gateway")
                .put("sw_version", version);
        if (configurationUrl != null) {
            deviceInfo.put("configuration_url", configurationUrl);
        }
        return new JsonObject()
                .put("state_topic", stateTopic)
                .put("availability_topic", availabilityTopic)
                .put("payload_available", "online")
                .put("payload_not_available", "offline")
                .put("device", deviceInfo)
                .put("origin", new JsonObject().put("name", "Earshot").put("sw_version", version));
    }

    /** Home Assistant object ids: letters, digits, {@code _} and {@code -} only. */
    private static String slug(String value) {
        return TopicTemplate.safe(value).replaceAll("[^A-Za-z0-9_-]", "_");
    }
}
