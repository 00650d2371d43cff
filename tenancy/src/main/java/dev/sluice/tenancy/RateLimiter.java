package dev.sluice.tenancy;

/**
 * Per-tenant token-bucket quotas: the request rate and invocation counts per minute or day. One bucket per tenant and
 * {@link QuotaPolicy#name()}; a bucket whose policy changed (a plan was edited) follows the new policy from the next
 * call on. Local implementations count in this process; shared ones count across every gateway.
 */
public interface RateLimiter {
    /**
     * Takes one token.
     *
     * @throws TenancyException.QuotaStoreUnavailable when a shared store cannot answer in time (fail-closed)
     */
    RateDecision tryAcquire(TenantId tenant, QuotaPolicy policy);

    /** Forgets the tenant's buckets (the tenant was deleted). */
    void forget(TenantId tenant);
}
