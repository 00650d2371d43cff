package dev.sluice.tenancy;

import java.time.Instant;
import java.util.Objects;

/** A customer of the provider, with the limits it runs under. */
public record Tenant(TenantId id, TenantLimits limits, Instant createdAt, Instant updatedAt) {
    public Tenant {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(updatedAt, "updatedAt");
    }
}
