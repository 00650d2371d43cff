package dev.sluice.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/** A tenant's usage per UTC day, newest first, and the sum; {@code json} as sent. */
public record Usage(String tenant, List<Day> days, Counters total, JsonNode json) {
    public Usage {
        days = List.copyOf(days);
    }

    public record Day(String day, Counters counters) {}

    static Usage from(JsonNode node) {
        List<Day> days = new ArrayList<>();
        Fields.array(node, "days").forEach(d -> days.add(new Day(Fields.text(d, "day"), Counters.from(d))));
        return new Usage(Fields.text(node, "tenant"), days, Counters.from(node.get("total")), node);
    }
}
