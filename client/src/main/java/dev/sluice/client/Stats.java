package dev.sluice.client;

import com.fasterxml.jackson.databind.JsonNode;

/** The serving process's live counters since it started ({@code GET /admin/v1/stats}); {@code json} as sent. */
public record Stats(String time, long uptimeMs, long invocations, long errors, long throttles, long inFlight,
                    JsonNode json) {
    static Stats from(JsonNode node) {
        return new Stats(Fields.text(node, "time"), Fields.number(node, "uptime-ms"), Fields.number(node, "invocations"),
                Fields.number(node, "errors"), Fields.number(node, "throttles"), Fields.number(node, "in-flight"), node);
    }
}
