package dev.sluice.tenancy.quota;

import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;

/** A {@link QuotaPolicy} in Bucket4j's terms, and a probe back in ours; shared by the local and Redis limiters. */
public final class Bandwidths {
    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    private Bandwidths() {}

    public static Bandwidth of(QuotaPolicy policy) {
        // Bucket4j refuses more tokens per period than nanoseconds in it; that many is unlimited for any practical
        // purpose, so cap there instead of failing.
        long tokens = Math.min(policy.refillTokens(), policy.refillPeriod().toNanos());
        var builder = Bandwidth.builder().capacity(policy.capacity());
        var refill = switch (policy.refill()) {
            case GREEDY -> builder.refillGreedy(tokens, policy.refillPeriod());
            case INTERVALLY -> builder.refillIntervally(tokens, policy.refillPeriod());
        };
        return refill.build();
    }

    public static BucketConfiguration configuration(QuotaPolicy policy) {
        return BucketConfiguration.builder().addLimit(of(policy)).build();
    }

    public static RateDecision decision(QuotaPolicy policy, ConsumptionProbe probe) {
        long resetSeconds = seconds(probe.getNanosToWaitForReset());
        long remaining = Math.max(0, probe.getRemainingTokens());
        if (probe.isConsumed()) {
            return new RateDecision(true, policy.capacity(), policy.windowSeconds(), remaining, resetSeconds, 0);
        }
        long retryAfter = Math.max(1, seconds(probe.getNanosToWaitForRefill()));
        return new RateDecision(false, policy.capacity(), policy.windowSeconds(), remaining, resetSeconds,
                retryAfter);
    }

    private static long seconds(long nanos) {
        return Math.ceilDiv(Math.max(0, nanos), NANOS_PER_SECOND);
    }
}
