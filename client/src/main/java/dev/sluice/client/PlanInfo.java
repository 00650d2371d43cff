package dev.sluice.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Optional;

/** A plan and its limits (an object of limit keys, as sent); {@code json} as sent. */
public record PlanInfo(String plan, JsonNode limits, Optional<String> managedBy, JsonNode json) {
    static PlanInfo from(JsonNode node) {
        return new PlanInfo(Fields.text(node, "plan"), node.path("limits"), Fields.optionalText(node, "managed-by"),
                node);
    }
}
