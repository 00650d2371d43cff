package dev.sluice.tenancy.plan;

import dev.sluice.tenancy.quota.FailPolicy;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A tenant's own values for some limits, laid over its plan (or the defaults) by {@link TenantLimits#with}. Each value
 * is validated by its {@link Limit}. Immutable; the {@code with} methods return copies.
 *
 * @param values          the overridden limits
 * @param quotaFailPolicy the overridden {@value #QUOTA_FAIL_POLICY}, if any
 */
public record LimitOverrides(Map<Limit, Long> values, Optional<FailPolicy> quotaFailPolicy) {
    /** The key of the fail-policy field, beside the numeric {@link Limit} keys. */
    public static final String QUOTA_FAIL_POLICY = "quota-fail-policy";

    private static final LimitOverrides NONE = new LimitOverrides(Map.of(), Optional.empty());

    public LimitOverrides {
        Objects.requireNonNull(values, "values");
        Objects.requireNonNull(quotaFailPolicy, "quotaFailPolicy");
        EnumMap<Limit, Long> copy = new EnumMap<>(Limit.class);
        values.forEach((limit, value) -> {
            Objects.requireNonNull(limit, "limit");
            Objects.requireNonNull(value, limit.key());
            copy.put(limit, limit.validate(value));
        });
        values = Collections.unmodifiableMap(copy);
    }

    public static LimitOverrides none() {
        return NONE;
    }

    /** Overrides of every field: a tenant with exactly these limits whatever its plan says. */
    public static LimitOverrides of(TenantLimits limits) {
        return new LimitOverrides(limits.asMap(), limits.quotaFailPolicy());
    }

    public LimitOverrides with(Limit limit, long value) {
        EnumMap<Limit, Long> next = new EnumMap<>(Limit.class);
        next.putAll(values);
        next.put(limit, value);
        return new LimitOverrides(next, quotaFailPolicy);
    }

    public LimitOverrides with(FailPolicy policy) {
        return new LimitOverrides(values, Optional.of(policy));
    }

    public OptionalLong get(Limit limit) {
        Long value = values.get(limit);
        return value == null ? OptionalLong.empty() : OptionalLong.of(value);
    }

    public boolean isEmpty() {
        return values.isEmpty() && quotaFailPolicy.isEmpty();
    }
}
