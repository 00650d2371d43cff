package dev.sluice.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Optional;

/** An API key's metadata, never its secret; {@code functions} empty: all functions. {@code json} as sent. */
public record KeyInfo(String id, String tenant, String name, List<String> scopes, Optional<List<String>> functions,
                      String createdAt, Optional<String> expiresAt, Optional<String> lastUsedAt,
                      Optional<String> managedBy, JsonNode json) {
    public KeyInfo {
        scopes = List.copyOf(scopes);
    }

    static KeyInfo from(JsonNode node) {
        JsonNode functions = node.get("functions");
        return new KeyInfo(Fields.text(node, "id"), Fields.text(node, "tenant"), Fields.text(node, "name"),
                Fields.texts(node, "scopes"),
                functions == null || functions.isNull() ? Optional.empty() : Optional.of(Fields.texts(node, "functions")),
                Fields.text(node, "created-at"), Fields.optionalText(node, "expires-at"),
                Fields.optionalText(node, "last-used-at"), Fields.optionalText(node, "managed-by"), node);
    }
}
