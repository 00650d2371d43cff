package dev.sluice.tenancy.quota;

import dev.sluice.tenancy.TenancyException;
import dev.sluice.tenancy.TenantUid;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Per-tenant in-flight invocations, across every gateway sharing the store. A granted slot is a {@link Lease}: the
 * caller closes it when the invocation ends (in {@code finally}); a lease never closed — its gateway died — expires
 * by itself after its time to live, so a crash never leaks a slot for good.
 */
public interface ConcurrencyLimiter {
    /**
     * @param limit    most invocations the tenant may have in flight
     * @param leaseTtl how long the slot is held if it is never released; longer than the invocation can run
     * @throws TenancyException.QuotaStoreUnavailable when a shared store cannot answer in time (fail-closed)
     */
    ConcurrencyDecision tryAcquire(TenantUid tenant, int limit, Duration leaseTtl);

    /**
     * Forgets the tenant's leases (closing one still held is harmless) (it was deleted). Shared stores delete what they hold and may throw
     * {@link TenancyException.QuotaStoreUnavailable}: what is left then is unreachable (a tenant created again under
     * the name has another uid) and expires by itself.
     */
    void forget(TenantUid tenant);

    /** The arguments of {@link #tryAcquire} every implementation refuses, naming the value. */
    static void checkRequest(int limit, Duration leaseTtl) {
        Objects.requireNonNull(leaseTtl, "leaseTtl");
        if (limit <= 0) {
            throw new TenancyException.InvalidInput("concurrency limit: " + limit + " (expected: > 0)");
        }
        if (leaseTtl.isNegative() || leaseTtl.isZero()) {
            throw new TenancyException.InvalidInput("lease ttl: " + leaseTtl + " (expected: > 0)");
        }
    }

    /** A held slot. Closing is idempotent and never throws (a failed release is left to expire). */
    interface Lease extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * @param inFlight the tenant's invocations in flight, this one included when granted
     * @param lease    present exactly when granted
     */
    record ConcurrencyDecision(boolean granted, int limit, int inFlight, Optional<Lease> lease) {}
}
