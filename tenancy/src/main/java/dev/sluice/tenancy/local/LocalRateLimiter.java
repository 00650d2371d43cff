package dev.sluice.tenancy.local;

import dev.sluice.tenancy.TenantUid;
import dev.sluice.tenancy.quota.Bandwidths;
import dev.sluice.tenancy.quota.FuelDays;
import dev.sluice.tenancy.quota.QuotaPolicy;
import dev.sluice.tenancy.quota.RateDecision;
import dev.sluice.tenancy.quota.RateLimiter;

import io.github.bucket4j.Bucket;
import io.github.bucket4j.TimeMeter;
import io.github.bucket4j.TokensInheritanceStrategy;

import java.time.Duration;
import java.time.InstantSource;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * In-process quotas: one Bucket4j bucket per tenant and {@link QuotaPolicy}. Time comes from the injected nanosecond source, so tests advance a fake
 * clock instead of sleeping.
 *
 * <p>When a policy differs from what its bucket was built for, the bucket's configuration is replaced
 * with {@link TokensInheritanceStrategy#ADDITIVE}: a lowered capacity caps the tokens left, a raised one adds the
 * difference at once, and what was already consumed stays consumed.
 *
 * <p>A count per day ({@link QuotaPolicy#perDay}, or its fail-open share) is not a bucket: it is counted per UTC day of
 * the wall clock in {@link DayCounters}, as the documentation promises ("invocations per UTC day"), and those counters
 * persist with the local quotas, so a restart does not grant a fresh day. A changed limit applies to what was already
 * used today.
 *
 * <p>Threading: buckets live in a {@link ConcurrentHashMap}; the common path is one lock-free map read and one
 * lock-free bucket consumption (a compare-and-set on the day's counter for a count per day). A configuration change
 * happens inside {@code compute}, so concurrent callers agree on one bucket per tenant. Buckets are only created for
 * tenants the gateway already authenticated, and {@link #forget} drops them (and the tenant's day counts) when a
 * tenant is deleted.
 */
public final class LocalRateLimiter implements RateLimiter {
    private static final Duration DAY = Duration.ofDays(1);

    private final TimeMeter timeMeter;
    private final InstantSource clock;
    private final DayCounters days;
    private final ConcurrentHashMap<TenantUid, ConcurrentHashMap<String, PolicyBucket>> buckets =
            new ConcurrentHashMap<>();

    /**
     * @param nanoTime monotonic time, for the buckets
     * @param clock    wall time, for the UTC day of counts per day
     * @param days     where counts per day are kept (persisted, or in memory for a fallback)
     */
    public LocalRateLimiter(LongSupplier nanoTime, InstantSource clock, DayCounters days) {
        Objects.requireNonNull(nanoTime, "nanoTime");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.days = Objects.requireNonNull(days, "days");
        this.timeMeter = new TimeMeter() {
            @Override
            public long currentTimeNanos() {
                return nanoTime.getAsLong();
            }

            @Override
            public boolean isWallClockBased() {
                return false;
            }
        };
    }

    @Override
    public RateDecision tryAcquire(TenantUid tenant, QuotaPolicy policy) {
        Objects.requireNonNull(tenant, "tenant");
        Objects.requireNonNull(policy, "policy");
        if (perUtcDay(policy)) {
            return countToday(tenant, policy);
        }
        ConcurrentHashMap<String, PolicyBucket> tenantBuckets =
                buckets.computeIfAbsent(tenant, t -> new ConcurrentHashMap<>());
        PolicyBucket entry = tenantBuckets.get(policy.name());
        if (entry == null || !entry.policy().equals(policy)) {
            entry = tenantBuckets.compute(policy.name(), (name, current) -> {
                if (current == null) {
                    return new PolicyBucket(policy, Bucket.builder()
                            .addLimit(Bandwidths.of(policy))
                            .withCustomTimePrecision(timeMeter)
                            .build());
                }
                if (current.policy().equals(policy)) {
                    return current;
                }
                current.bucket().replaceConfiguration(Bandwidths.configuration(policy),
                        TokensInheritanceStrategy.ADDITIVE);
                return new PolicyBucket(policy, current.bucket());
            });
        }
        return Bandwidths.decision(policy, entry.bucket().tryConsumeAndReturnRemaining(1));
    }

    /** A count per day: the whole capacity given back once a day, nothing in between. */
    static boolean perUtcDay(QuotaPolicy policy) {
        return policy.refill() == QuotaPolicy.Refill.INTERVALLY && policy.refillPeriod().equals(DAY)
                && policy.refillTokens() == policy.capacity();
    }

    private RateDecision countToday(TenantUid tenant, QuotaPolicy policy) {
        DayCounters.Day day = days.today(tenant, policy.name());
        long reset = FuelDays.secondsToReset(clock.instant());
        long limit = policy.capacity();
        while (true) {
            long used = day.used.get();
            if (used >= limit) {
                return new RateDecision(false, limit, policy.windowSeconds(), 0, reset, reset);
            }
            if (day.used.compareAndSet(used, used + 1)) {
                return new RateDecision(true, limit, policy.windowSeconds(), limit - used - 1, reset, 0);
            }
        }
    }

    @Override
    public void forget(TenantUid tenant) {
        buckets.remove(tenant);
        days.forget(tenant);
    }

    private record PolicyBucket(QuotaPolicy policy, Bucket bucket) {}
}
