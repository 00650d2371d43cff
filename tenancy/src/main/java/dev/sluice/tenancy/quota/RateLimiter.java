package dev.sluice.tenancy.quota;

import dev.sluice.tenancy.TenancyException;
import dev.sluice.tenancy.TenantUid;

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
    RateDecision tryAcquire(TenantUid tenant, QuotaPolicy policy);

    /**
     * Forgets the tenant's buckets (it was deleted). Shared stores delete what they hold and may throw
     * {@link TenancyException.QuotaStoreUnavailable}: what is left then is unreachable (a tenant created again under
     * the name has another uid) and expires by itself.
     */
    void forget(TenantUid tenant);
}
