package dev.sluice.client;

import com.fasterxml.jackson.databind.JsonNode;

/** One invocation's record in a function's log (docs/logs.md); {@code json} as sent. */
public record LogEntry(String invocationId, String time, int status, String outcome, long fuel, long durationMs,
                       String stderr, boolean truncated, JsonNode json) {
    static LogEntry from(JsonNode node) {
        return new LogEntry(Fields.text(node, "invocation-id"), Fields.text(node, "time"),
                (int) Fields.number(node, "status"), Fields.text(node, "outcome"), Fields.number(node, "fuel"),
                Fields.number(node, "duration-ms"), Fields.text(node, "stderr"),
                Fields.flag(node, "truncated").orElse(false), node);
    }
}
