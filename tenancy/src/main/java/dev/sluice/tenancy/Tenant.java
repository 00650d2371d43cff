package dev.sluice.tenancy;

import dev.sluice.tenancy.plan.LimitOverrides;
import dev.sluice.tenancy.plan.Plan;
import dev.sluice.tenancy.plan.PlanStore;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A customer of the provider: the plan it is on, if any, and its own overrides. Its effective limits depend on the
 * plan's current limits, so they are resolved per request by {@link PlanStore#resolve}, never stored.
 *
 * @param id  the name, as the provider and the tenant know it
 * @param uid this creation of the tenant, which its keys, functions, quotas and usage are keyed by
 */
public record Tenant(TenantId id, TenantUid uid, Optional<String> plan, LimitOverrides overrides,
                     Instant createdAt, Instant updatedAt) {
    public Tenant {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(uid, "uid");
        if (!uid.name().equals(id)) {
            throw new TenancyException.InvalidInput("uid: '" + uid + "' (expected: one of tenant " + id + ")");
        }
        Objects.requireNonNull(plan, "plan");
        plan.ifPresent(Plan::checkName);
        Objects.requireNonNull(overrides, "overrides");
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(updatedAt, "updatedAt");
    }
}
