package dev.sluice.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Every tenant's usage summed over {@code days} UTC days, {@code from} to {@code to}; {@code json} as sent. */
public record UsageSummary(long days, String from, String to, List<TenantUsage> tenants, JsonNode json) {
    public UsageSummary {
        tenants = List.copyOf(tenants);
    }

    public record TenantUsage(String tenant, Optional<String> plan, Counters counters) {}

    static UsageSummary from(JsonNode node) {
        List<TenantUsage> tenants = new ArrayList<>();
        Fields.array(node, "tenants").forEach(t -> tenants.add(new TenantUsage(Fields.text(t, "tenant"),
                Fields.optionalText(t, "plan"), Counters.from(t))));
        return new UsageSummary(Fields.number(node, "days"), Fields.text(node, "from"), Fields.text(node, "to"),
                tenants, node);
    }
}
