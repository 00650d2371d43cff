package dev.sluice.gateway;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.gateway.http.Json;
import dev.sluice.scheduler.FunctionSpec;
import dev.sluice.tenancy.KeyMetadata;
import dev.sluice.tenancy.Tenant;
import dev.sluice.tenancy.TenantLimits;

/** The JSON shapes of the API's resources; member names are kebab-case, like the configuration keys. */
final class Representations {
    private Representations() {}

    static ObjectNode tenant(Tenant tenant) {
        ObjectNode node = Json.object();
        node.put("tenant", tenant.id().value());
        TenantLimits limits = tenant.limits();
        node.put("requests-per-second", limits.requestsPerSecond());
        node.put("burst", limits.burst());
        node.put("max-memory-pages", limits.maxMemoryPages());
        node.put("max-timeout-ms", limits.maxTimeoutMs());
        node.put("max-module-bytes", limits.maxModuleBytes());
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

    static ObjectNode function(FunctionSpec spec) {
        ObjectNode node = Json.object();
        node.put("name", spec.name().value());
        node.put("digest", spec.digest());
        node.put("size", spec.size());
        node.put("memory-pages", spec.memoryPages());
        node.put("timeout-ms", spec.timeoutMs());
        node.put("deployed-at", spec.deployedAt().toString());
        return node;
    }
}
