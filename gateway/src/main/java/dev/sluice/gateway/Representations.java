package dev.sluice.gateway;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.gateway.http.Json;
import dev.sluice.scheduler.FunctionSpec;
import dev.sluice.tenancy.DailyUsage;
import dev.sluice.tenancy.KeyMetadata;
import dev.sluice.tenancy.Tenant;
import dev.sluice.tenancy.TenantId;
import dev.sluice.tenancy.TenantLimits;
import java.time.LocalDate;
import java.util.List;

/** The JSON shapes of the API's resources; member names are kebab-case, like the configuration keys. */
final class Representations {
    private Representations() {}

    /** A tenant with its effective limits (resolved from its plan and overrides by the caller). */
    static ObjectNode tenant(Tenant tenant, TenantLimits limits) {
        ObjectNode node = Json.object();
        node.put("tenant", tenant.id().value());
        node.put("requests-per-second", limits.requestsPerSecond());
        node.put("burst", limits.burst());
        node.put("max-memory-pages", limits.maxMemoryPages());
        node.put("max-timeout-ms", limits.maxTimeoutMs());
        node.put("max-module-bytes", limits.maxModuleBytes());
        node.put("max-fuel-per-call", limits.maxFuelPerCall());
        node.put("created-at", tenant.createdAt().toString());
        node.put("updated-at", tenant.updatedAt().toString());
        return node;
    }

    static ObjectNode key(KeyMetadata key) {
        ObjectNode node = Json.object();
        node.put("id", key.id());
        node.put("tenant", key.tenant().value());
        node.put("name", key.name());
        node.put("created-at", key.createdAt().toString());
        key.expiresAt().ifPresentOrElse(e -> node.put("expires-at", e.toString()), () -> node.putNull("expires-at"));
        return node;
    }

    /** Usage per day, newest first, with the sum over those days. */
    static ObjectNode usage(TenantId tenant, List<DailyUsage> days) {
        ObjectNode node = Json.object();
        node.put("tenant", tenant.value());
        ArrayNode items = node.putArray("days");
        DailyUsage total = new DailyUsage(LocalDate.EPOCH, 0, 0, 0, 0);
        for (DailyUsage day : days) {
            items.add(usageCounters(day).put("day", day.day().toString()));
            total = new DailyUsage(total.day(), total.invocations() + day.invocations(),
                    total.errors() + day.errors(), total.throttles() + day.throttles(), total.fuel() + day.fuel());
        }
        node.set("total", usageCounters(total));
        return node;
    }

    private static ObjectNode usageCounters(DailyUsage usage) {
        ObjectNode node = Json.object();
        node.put("invocations", usage.invocations());
        node.put("errors", usage.errors());
        node.put("throttles", usage.throttles());
        node.put("fuel", usage.fuel());
        return node;
    }

    static ObjectNode function(FunctionSpec spec) {
        ObjectNode node = Json.object();
        node.put("name", spec.name().value());
        node.put("digest", spec.digest());
        node.put("size", spec.size());
        node.put("memory-pages", spec.memoryPages());
        node.put("timeout-ms", spec.timeoutMs());
        node.put("fuel", spec.fuel());
        node.put("deployed-at", spec.deployedAt().toString());
        return node;
    }
}
