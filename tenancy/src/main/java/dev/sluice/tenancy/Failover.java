package dev.sluice.tenancy;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * What the quotas do when the shared store cannot answer in time: per tenant, {@link FailPolicy#FAIL_OPEN} serves from
 * local quotas sized to this replica's share ({@code 1/replicas} of every capacity, refill, limit and budget, at least
 * 1), logged at most every few seconds and counted; {@link FailPolicy#FAIL_CLOSED} rethrows
 * {@link TenancyException.QuotaStoreUnavailable}.
 *
 * <p>After a failure the store is not asked again for {@code retryInterval} (by the injected nanosecond clock): requests
 * go straight to the fail policy instead of each waiting out the command timeout of a stalled Redis. After the interval
 * the next request tries the store again; when it answers, everything goes back to it — no manual reset.
 *
 * <p>Threading: thread-safe; the only shared state is the time the store may be tried again and the counters.
 */
final class Failover {
    private final Function<TenantId, FailPolicy> policy;
    private final int replicas;
    private final LongSupplier nanoTime;
    private final long retryIntervalNanos;
    private final RateLimitedLog log;
    /** Time (nanoTime) before which the store is not tried; 0 while the store answers. */
    private final AtomicLong unavailableUntil = new AtomicLong();
    private final LongAdder fallbacks = new LongAdder();
    private final LongAdder refusals = new LongAdder();

    Failover(Function<TenantId, FailPolicy> policy, int replicas, LongSupplier nanoTime, Duration retryInterval,
             RateLimitedLog log) {
        this.policy = Objects.requireNonNull(policy, "policy");
        this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
        this.log = Objects.requireNonNull(log, "log");
        if (replicas <= 0) {
            throw new TenancyException.InvalidInput("quota-replicas: " + replicas + " (expected: > 0)");
        }
        this.replicas = replicas;
        this.retryIntervalNanos = retryInterval.toNanos();
    }

    /** Requests served by local quotas because the store was unavailable (fail-open). */
    long fallbacks() {
        return fallbacks.sum();
    }

    /** Requests refused because the store was unavailable (fail-closed). */
    long refusals() {
        return refusals.sum();
    }

    RateLimiter rates(RateLimiter shared, RateLimiter local) {
        return new RateLimiter() {
            @Override
            public RateDecision tryAcquire(TenantId tenant, QuotaPolicy quota) {
                return call(tenant, () -> shared.tryAcquire(tenant, quota),
                        () -> local.tryAcquire(tenant, share(quota)), "rate");
            }

            @Override
            public void forget(TenantId tenant) {
                local.forget(tenant);
                try {
                    shared.forget(tenant);
                } catch (TenancyException.QuotaStoreUnavailable e) {
                    // Its buckets expire by themselves.
                }
            }
        };
    }

    ConcurrencyLimiter concurrency(ConcurrencyLimiter shared, ConcurrencyLimiter local) {
        return (tenant, limit, leaseTtl) -> call(tenant, () -> shared.tryAcquire(tenant, limit, leaseTtl),
                () -> local.tryAcquire(tenant, share(limit), leaseTtl), "concurrency");
    }

    FuelBudget fuel(FuelBudget shared, FuelBudget local) {
        return (tenant, budgetPerDay, amount) -> call(tenant, () -> shared.reserve(tenant, budgetPerDay, amount),
                () -> local.reserve(tenant, share(budgetPerDay), amount), "fuel");
    }

    private <T> T call(TenantId tenant, Supplier<T> shared, Supplier<T> local, String what) {
        long until = unavailableUntil.get();
        if (until != 0) {
            long now = nanoTime.getAsLong();
            // One caller per interval probes the store; the others keep to the fail policy meanwhile.
            if (now - until < 0 || !unavailableUntil.compareAndSet(until, now + retryIntervalNanos)) {
                return fallBack(tenant, local, what, null);
            }
        }
        try {
            T answer = shared.get();
            if (until != 0) {
                unavailableUntil.set(0);
                log.info("quota store answers again; shared quotas in use");
            }
            return answer;
        } catch (TenancyException.QuotaStoreUnavailable e) {
            unavailableUntil.set(nanoTime.getAsLong() + retryIntervalNanos);
            return fallBack(tenant, local, what, e);
        }
    }

    private <T> T fallBack(TenantId tenant, Supplier<T> local, String what,
                           TenancyException.QuotaStoreUnavailable cause) {
        if (policy.apply(tenant) == FailPolicy.FAIL_CLOSED) {
            refusals.increment();
            log.warn("refused", () -> "quota store unavailable, fail-closed: refusing requests (" + refusals.sum()
                    + " so far)" + (cause == null ? "" : ": " + cause.getMessage()));
            throw cause != null ? cause : RedisConnection.unavailable(what + " " + tenant + ": store unavailable, "
                    + "retrying shortly", null);
        }
        fallbacks.increment();
        log.warn("fallback", () -> "quota store unavailable, fail-open: local quotas at 1/" + replicas
                + " of each limit (" + fallbacks.sum() + " requests so far)"
                + (cause == null ? "" : ": " + cause.getMessage()));
        return local.get();
    }

    QuotaPolicy share(QuotaPolicy quota) {
        if (replicas == 1) {
            return quota;
        }
        return new QuotaPolicy(quota.name(), Math.max(1, quota.capacity() / replicas),
                Math.max(1, quota.refillTokens() / replicas), quota.refillPeriod(), quota.refill());
    }

    int share(int limit) {
        return Math.max(1, limit / replicas);
    }

    long share(long budget) {
        return Math.max(1, budget / replicas);
    }
}
