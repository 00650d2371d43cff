package dev.sluice.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Optional;

/**
 * A tenant: its plan, its {@code overrides} and effective {@code limits} (objects of limit keys, as sent: the set of
 * keys is the server's), and {@code managedBy} ({@code vault}) when it is declared elsewhere; {@code json} as sent.
 */
public record TenantInfo(String tenant, Optional<String> plan, JsonNode overrides, JsonNode limits,
                         String createdAt, String updatedAt, Optional<String> managedBy, JsonNode json) {
    static TenantInfo from(JsonNode node) {
        return new TenantInfo(Fields.text(node, "tenant"), Fields.optionalText(node, "plan"), node.path("overrides"),
                node.path("limits"), Fields.text(node, "created-at"), Fields.text(node, "updated-at"),
                Fields.optionalText(node, "managed-by"), node);
    }
}
