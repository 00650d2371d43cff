package dev.sluice.tenancy.quota;

import dev.sluice.tenancy.TenancyException;

import java.time.Duration;
import java.util.Objects;

/**
 * One token-bucket quota: at most {@code capacity} requests at once, refilled by {@code refillTokens} every
 * {@code refillPeriod} — continuously ({@link Refill#GREEDY}, a rate) or all at once at the end of each period
 * ({@link Refill#INTERVALLY}, a count per minute or day). The {@code name} identifies the bucket within a tenant
 * and is the policy name in the {@code RateLimit-Policy} header.
 */
public record QuotaPolicy(String name, long capacity, long refillTokens, Duration refillPeriod, Refill refill) {
    public enum Refill { GREEDY, INTERVALLY }

    /** The names of the policies below, which the gateway counts every tenant's requests and invocations by. */
    public static final java.util.Set<String> GATEWAY_POLICIES = java.util.Set.of("rate", "invocations-minute",
            "invocations-day");

    private static final java.util.regex.Pattern NAME = java.util.regex.Pattern.compile("[a-z][a-z0-9-]*");

    public QuotaPolicy {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(refillPeriod, "refillPeriod");
        Objects.requireNonNull(refill, "refill");
        if (!NAME.matcher(name).matches()) {
            throw new TenancyException.InvalidInput("policy name: '" + name + "' (expected: kebab-case)");
        }
        if (capacity <= 0 || refillTokens <= 0 || refillPeriod.isNegative() || refillPeriod.isZero()) {
            throw new TenancyException.InvalidInput("policy " + name + ": capacity " + capacity + ", refill "
                    + refillTokens + " per " + refillPeriod + " (expected: all > 0)");
        }
    }

    /** Requests per second with a burst: the tenant's request rate. */
    public static QuotaPolicy rate(long requestsPerSecond, long burst) {
        return new QuotaPolicy("rate", burst, requestsPerSecond, Duration.ofSeconds(1), Refill.GREEDY);
    }

    /** Invocations per minute. */
    public static QuotaPolicy perMinute(long invocations) {
        return new QuotaPolicy("invocations-minute", invocations, invocations, Duration.ofMinutes(1),
                Refill.INTERVALLY);
    }

    /** Invocations per day. */
    public static QuotaPolicy perDay(long invocations) {
        return new QuotaPolicy("invocations-day", invocations, invocations, Duration.ofDays(1), Refill.INTERVALLY);
    }

    /** The window of the {@code RateLimit-Policy} header: how long a full bucket takes to refill, at least 1 s. */
    public long windowSeconds() {
        double periods = (double) capacity / refillTokens;
        return Math.max(1, (long) Math.ceil(periods * refillPeriod.toMillis() / 1000.0));
    }
}
