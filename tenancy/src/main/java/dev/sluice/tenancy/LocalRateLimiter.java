package dev.sluice.tenancy;

import io.github.bucket4j.Bucket;
import io.github.bucket4j.TimeMeter;
import io.github.bucket4j.TokensInheritanceStrategy;

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
 * <p>Threading: buckets live in a {@link ConcurrentHashMap}; the common path is one lock-free map read and one
 * lock-free bucket consumption. A configuration change happens inside {@code compute}, so concurrent callers agree on
 * one bucket per tenant. Buckets are only created for tenants the gateway already authenticated, and {@link #forget}
 * drops them when a tenant is deleted.
 */
final class LocalRateLimiter implements RateLimiter {
    private final TimeMeter timeMeter;
    private final ConcurrentHashMap<TenantId, ConcurrentHashMap<String, PolicyBucket>> buckets =
            new ConcurrentHashMap<>();

    LocalRateLimiter(LongSupplier nanoTime) {
        Objects.requireNonNull(nanoTime, "nanoTime");
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
    public RateDecision tryAcquire(TenantId tenant, QuotaPolicy policy) {
        Objects.requireNonNull(tenant, "tenant");
        Objects.requireNonNull(policy, "policy");
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

    @Override
    public void forget(TenantId tenant) {
        buckets.remove(tenant);
    }

    private record PolicyBucket(QuotaPolicy policy, Bucket bucket) {}
}
