package dev.sluice.tenancy;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A customer of the provider: the plan it is on, if any, and its own overrides. Its effective limits depend on the
 * plan's current limits, so they are resolved per request by {@link PlanStore#resolve}, never stored.
 */
public record Tenant(TenantId id, Optional<String> plan, LimitOverrides overrides, Instant createdAt,
                     Instant updatedAt) {
    public Tenant {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(plan, "plan");
        plan.ifPresent(Plan::checkName);
        Objects.requireNonNull(overrides, "overrides");
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(updatedAt, "updatedAt");
    }
}
