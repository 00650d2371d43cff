package dev.sluice.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.config.SluiceConfig;
import dev.sluice.gateway.http.Json;
import dev.sluice.gateway.http.ProblemException;
import dev.sluice.gateway.http.ProblemType;
import dev.sluice.tenancy.TenancyException;
import dev.sluice.tenancy.plan.Limit;
import dev.sluice.tenancy.plan.LimitOverrides;
import dev.sluice.tenancy.plan.TenantLimits;
import dev.sluice.tenancy.quota.FailPolicy;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Limits in JSON: the same kebab-case keys as the configuration ({@code requests-per-second}, …,
 * {@code quota-fail-policy}). A body may set a limit to a number, or to {@code null} to remove an override.
 */
final class LimitsJson {
    private LimitsJson() {}

    /** Every limit key a body may hold, for messages. */
    static Set<String> keys() {
        Set<String> keys = new TreeSet<>();
        Arrays.stream(Limit.values()).map(Limit::key).forEach(keys::add);
        keys.add(LimitOverrides.QUOTA_FAIL_POLICY);
        return keys;
    }

    /**
     * {@code current} with the limit members of {@code body} applied: numbers set, {@code null} removes. Members
     * named in {@code other} are left to the caller; any other member is an error.
     */
    static LimitOverrides merge(LimitOverrides current, ObjectNode body, Set<String> other) {
        Map<Limit, Long> values = new java.util.EnumMap<>(Limit.class);
        values.putAll(current.values());
        Optional<FailPolicy> policy = current.quotaFailPolicy();
        for (Iterator<Map.Entry<String, JsonNode>> it = body.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            String name = field.getKey();
            JsonNode value = field.getValue();
            if (other.contains(name)) {
                continue;
            }
            if (name.equals(LimitOverrides.QUOTA_FAIL_POLICY)) {
                policy = value.isNull() ? Optional.empty() : Optional.of(FailPolicy.parse(text(name, value)));
                continue;
            }
            Limit limit = Limit.find(name).orElseThrow(() -> ProblemException.of(ProblemType.INVALID_REQUEST,
                    "unknown field '" + AdminService.safe(name) + "' (expected one of: "
                            + String.join(", ", other) + (other.isEmpty() ? "" : ", ") + String.join(", ", keys())
                            + ")"));
            if (value.isNull()) {
                values.remove(limit);
            } else if (value.isIntegralNumber() && value.canConvertToLong()) {
                values.put(limit, validated(limit, value.asLong()));
            } else {
                throw ProblemException.of(ProblemType.INVALID_REQUEST, name + ": " + value + " (expected: an integer)");
            }
        }
        return new LimitOverrides(values, policy);
    }

    /** The value if in the limit's range, else a problem naming the field and the range (for clients to show). */
    private static long validated(Limit limit, long value) {
        try {
            return limit.validate(value);
        } catch (TenancyException.InvalidInput e) {
            throw ProblemException.of(ProblemType.INVALID_REQUEST, e.getMessage())
                    .with("field", limit.key()).with("min", limit.min()).with("max", limit.max());
        }
    }

    private static String text(String name, JsonNode value) {
        if (!value.isTextual()) {
            throw ProblemException.of(ProblemType.INVALID_REQUEST, name + ": " + value + " (expected: a string)");
        }
        return value.asText();
    }

    static ObjectNode limits(TenantLimits limits) {
        ObjectNode node = Json.object();
        limits.asMap().forEach((limit, value) -> node.put(limit.key(), value));
        limits.quotaFailPolicy().ifPresent(p -> node.put(LimitOverrides.QUOTA_FAIL_POLICY, p.text()));
        return node;
    }

    static ObjectNode overrides(LimitOverrides overrides) {
        ObjectNode node = Json.object();
        overrides.values().forEach((limit, value) -> node.put(limit.key(), value));
        overrides.quotaFailPolicy().ifPresent(p -> node.put(LimitOverrides.QUOTA_FAIL_POLICY, p.text()));
        return node;
    }

    /** The limits of a tenant on no plan with no overrides, from the {@code default-*} configuration keys. */
    static TenantLimits defaults(SluiceConfig config) {
        Map<Limit, Long> values = new java.util.EnumMap<>(Limit.class);
        values.put(Limit.REQUESTS_PER_SECOND, config.defaultRequestsPerSecond());
        values.put(Limit.BURST, config.defaultBurst());
        values.put(Limit.MAX_CONCURRENCY, config.defaultMaxConcurrency());
        values.put(Limit.MAX_FUEL_PER_CALL, config.defaultMaxFuelPerCall());
        values.put(Limit.FUEL_PER_DAY, config.defaultFuelPerDay());
        values.put(Limit.INVOCATIONS_PER_MINUTE, config.defaultInvocationsPerMinute());
        values.put(Limit.INVOCATIONS_PER_DAY, config.defaultInvocationsPerDay());
        values.put(Limit.MAX_MEMORY_PAGES, (long) config.defaultMaxMemoryPages());
        values.put(Limit.MAX_TIMEOUT_MS, config.defaultMaxTimeoutMs());
        values.put(Limit.MAX_MODULE_BYTES, config.defaultMaxModuleBytes());
        values.put(Limit.MAX_FUNCTIONS, config.defaultMaxFunctions());
        values.put(Limit.MAX_ASSET_BYTES, config.defaultMaxAssetBytes());
        values.put(Limit.MAX_ASSET_FILES, config.defaultMaxAssetFiles());
        values.put(Limit.SCRATCH_BYTES, config.defaultScratchBytes());
        values.put(Limit.SCRATCH_INODES, config.defaultScratchInodes());
        return TenantLimits.of(values, Optional.empty());
    }
}
