package dev.sluice.tenancy;

/** Per-tenant request-rate quota: a token bucket refilled at the tenant's rate, holding at most its burst. */
public interface RateLimiter {
    RateDecision tryAcquire(TenantId tenant, TenantLimits limits);

    /** Forgets the tenant's bucket (the tenant was deleted or its limits changed). */
    void forget(TenantId tenant);
}
