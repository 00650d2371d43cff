package dev.sluice.tenancy.local;

import dev.sluice.tenancy.TenancyException;
import dev.sluice.tenancy.TenantUid;
import dev.sluice.tenancy.quota.ConcurrencyLimiter;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * In-flight invocations per tenant in this process, with the same semantics as the Redis leases: a lease is held until
 * closed or until its time to live passes (by the injected nanosecond clock), whichever comes first.
 *
 * <p>Threading: each tenant's leases are guarded by that tenant's monitor; the critical section is a map update (and,
 * only when the tenant is at its limit, a sweep of its expired leases, at most {@code limit} entries).
 */
public final class LocalConcurrencyLimiter implements ConcurrencyLimiter {
    private final LongSupplier nanoTime;
    private final ConcurrentHashMap<TenantUid, Leases> tenants = new ConcurrentHashMap<>();

    public LocalConcurrencyLimiter(LongSupplier nanoTime) {
        this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
    }

    @Override
    public ConcurrencyDecision tryAcquire(TenantUid tenant, int limit, Duration leaseTtl) {
        Objects.requireNonNull(tenant, "tenant");
        ConcurrencyLimiter.checkRequest(limit, leaseTtl);
        Leases leases = tenants.computeIfAbsent(tenant, t -> new Leases());
        long now = nanoTime.getAsLong();
        synchronized (leases) {
            if (leases.held.size() >= limit) {
                leases.held.values().removeIf(expiry -> expiry - now <= 0);
            }
            int inFlight = leases.held.size();
            if (inFlight >= limit) {
                return new ConcurrencyDecision(false, limit, inFlight, Optional.empty());
            }
            LocalLease lease = new LocalLease(leases);
            leases.held.put(lease, now + leaseTtl.toNanos());
            return new ConcurrencyDecision(true, limit, inFlight + 1, Optional.of(lease));
        }
    }

    @Override
    public void forget(TenantUid tenant) {
        tenants.remove(tenant);
    }

    /** Leases of the tenant not yet expired or released. */
    int inFlight(TenantUid tenant) {
        Leases leases = tenants.get(tenant);
        if (leases == null) {
            return 0;
        }
        long now = nanoTime.getAsLong();
        synchronized (leases) {
            leases.held.values().removeIf(expiry -> expiry - now <= 0);
            return leases.held.size();
        }
    }

    private static final class Leases {
        final Map<LocalLease, Long> held = new HashMap<>();
    }

    private static final class LocalLease implements Lease {
        private final Leases leases;

        LocalLease(Leases leases) {
            this.leases = leases;
        }

        @Override
        public void close() {
            synchronized (leases) {
                leases.held.remove(this);
            }
        }
    }
}
