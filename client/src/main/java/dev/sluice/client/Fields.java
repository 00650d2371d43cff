package dev.sluice.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Reads members of the server's JSON; a member that is missing or null reads as empty or 0 (older servers). */
final class Fields {
    private Fields() {}

    static String text(JsonNode node, String name) {
        JsonNode value = node == null ? null : node.get(name);
        return value == null || value.isNull() ? "" : value.asText();
    }

    static Optional<String> optionalText(JsonNode node, String name) {
        JsonNode value = node == null ? null : node.get(name);
        return value == null || value.isNull() ? Optional.empty() : Optional.of(value.asText());
    }

    static long number(JsonNode node, String name) {
        JsonNode value = node == null ? null : node.get(name);
        return value == null ? 0 : value.asLong();
    }

    static Optional<Boolean> flag(JsonNode node, String name) {
        JsonNode value = node == null ? null : node.get(name);
        return value == null || !value.isBoolean() ? Optional.empty() : Optional.of(value.asBoolean());
    }

    static List<String> texts(JsonNode node, String name) {
        JsonNode value = node == null ? null : node.get(name);
        List<String> out = new ArrayList<>();
        if (value != null && value.isArray()) {
            value.forEach(v -> out.add(v.asText()));
        }
        return List.copyOf(out);
    }

    static JsonNode array(JsonNode node, String name) {
        JsonNode value = node == null ? null : node.get(name);
        return value != null && value.isArray() ? value : com.fasterxml.jackson.databind.node.JsonNodeFactory.instance
                .arrayNode();
    }
}
