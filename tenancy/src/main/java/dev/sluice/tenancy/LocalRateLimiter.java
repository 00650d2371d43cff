package dev.sluice.tenancy;

import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.TimeMeter;
import io.github.bucket4j.TokensInheritanceStrategy;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * In-process rate quota: one Bucket4j bucket per tenant, holding at most {@code burst} tokens and refilled greedily
 * (continuously) at {@code requestsPerSecond}. Time comes from the injected nanosecond source, so tests advance a fake
 * clock instead of sleeping.
 *
 * <p>When a tenant's rate or burst differs from what its bucket was built for, the bucket's configuration is replaced
 * with {@link TokensInheritanceStrategy#ADDITIVE}: a lowered burst caps the tokens left, a raised one adds the
 * difference at once, and what was already consumed stays consumed. Other limits (memory, timeout) do not touch the
 * bucket.
 *
 * <p>Threading: buckets live in a {@link ConcurrentHashMap}; the common path is one lock-free map read and one
 * lock-free bucket consumption. A configuration change happens inside {@code compute}, so concurrent callers agree on
 * one bucket per tenant. Buckets are only created for tenants the gateway already authenticated, and {@link #forget}
 * drops them when a tenant is deleted.
 */
final class LocalRateLimiter implements RateLimiter {
    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    private final TimeMeter timeMeter;
    private final ConcurrentHashMap<TenantId, RateBucket> buckets = new ConcurrentHashMap<>();

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
    public RateDecision tryAcquire(TenantId tenant, TenantLimits limits) {
        Objects.requireNonNull(tenant, "tenant");
        Rate rate = Rate.of(limits);
        RateBucket entry = buckets.get(tenant);
        if (entry == null || !entry.rate().equals(rate)) {
            entry = buckets.compute(tenant, (id, current) -> {
                if (current == null) {
                    return new RateBucket(rate, Bucket.builder()
                            .addLimit(rate.bandwidth())
                            .withCustomTimePrecision(timeMeter)
                            .build());
                }
                if (current.rate().equals(rate)) {
                    return current;
                }
                current.bucket().replaceConfiguration(
                        BucketConfiguration.builder().addLimit(rate.bandwidth()).build(),
                        TokensInheritanceStrategy.ADDITIVE);
                return new RateBucket(rate, current.bucket());
            });
        }
        ConsumptionProbe probe = entry.bucket().tryConsumeAndReturnRemaining(1);
        long resetSeconds = seconds(probe.getNanosToWaitForReset());
        long remaining = Math.max(0, probe.getRemainingTokens());
        if (probe.isConsumed()) {
            return new RateDecision(true, rate.burst(), rate.windowSeconds(), remaining, resetSeconds, 0);
        }
        long retryAfter = Math.max(1, seconds(probe.getNanosToWaitForRefill()));
        return new RateDecision(false, rate.burst(), rate.windowSeconds(), remaining, resetSeconds, retryAfter);
    }

    @Override
    public void forget(TenantId tenant) {
        buckets.remove(tenant);
    }

    private static long seconds(long nanos) {
        return Math.ceilDiv(Math.max(0, nanos), NANOS_PER_SECOND);
    }

    /** The part of a tenant's limits the bucket is built from. */
    private record Rate(long requestsPerSecond, long burst) {
        static Rate of(TenantLimits limits) {
            Objects.requireNonNull(limits, "limits");
            return new Rate(limits.requestsPerSecond(), limits.burst());
        }

        Bandwidth bandwidth() {
            // Bucket4j refuses more tokens per period than nanoseconds in it; a billion requests per second is
            // unlimited for any practical purpose, so cap there instead of failing.
            long perSecond = Math.min(requestsPerSecond, NANOS_PER_SECOND);
            return Bandwidth.builder().capacity(burst).refillGreedy(perSecond, Duration.ofSeconds(1)).build();
        }

        long windowSeconds() {
            return Math.max(1, Math.ceilDiv(burst, requestsPerSecond));
        }
    }

    private record RateBucket(Rate rate, Bucket bucket) {}
}
