package dev.sluice.tenancy.usage;

import dev.sluice.tenancy.TenancyException;
import dev.sluice.tenancy.TenantUid;

import java.util.Collection;
import java.util.List;

/**
 * What each tenant used, per UTC day: invocations, failed invocations, throttled requests and fuel. Fed by the
 * gateway after every request; read by the usage endpoints. Thread-safe; recording never blocks on storage.
 */
public interface UsageLedger {
    /** Days of usage kept, today included. */
    int RETENTION_DAYS = 62;

    /** Records one finished invocation and the fuel it used (successful or not). */
    void invocation(TenantUid tenant, boolean failed, long fuelUsed);

    /** Records one request refused by a quota. */
    void throttled(TenantUid tenant);

    /** The tenant's usage per day, newest first, for at most the last {@code days} days (today included). */
    List<DailyUsage> daily(TenantUid tenant, int days);

    /**
     * Each of {@code tenants}' usage summed over the last {@code days} UTC days, today included: one read for all of
     * them (the provider's overview of every tenant), its cost in proportion to tenants times days on a shared store
     * and to the tenants alone in process memory.
     *
     * @throws TenancyException.InvalidInput when {@code days} is outside 1..{@link #RETENTION_DAYS}
     */
    UsageSummary summary(Collection<TenantUid> tenants, int days);

    /**
     * Forgets the tenant's history (it was deleted). Shared stores delete what they hold and may throw
     * {@link TenancyException.QuotaStoreUnavailable}: what is left then is unreachable (a tenant created again under
     * the name has another uid) and expires by itself.
     */
    void forget(TenantUid tenant);
}
