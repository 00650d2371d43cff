package dev.sluice.client;

import com.fasterxml.jackson.databind.JsonNode;

/** Usage counters: invocations, errors, throttles and fuel. */
public record Counters(long invocations, long errors, long throttles, long fuel) {
    static Counters from(JsonNode node) {
        return new Counters(Fields.number(node, "invocations"), Fields.number(node, "errors"),
                Fields.number(node, "throttles"), Fields.number(node, "fuel"));
    }
}
