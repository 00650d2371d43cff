package dev.sluice.tenancy.quota;

import dev.sluice.tenancy.TenancyException;

import java.time.Duration;
import java.util.Objects;

/**
 * When the gateway stops asking Redis (see {@link CircuitBreaker}): it opens when, within {@code window}, at least
 * {@code minFailures} calls failed and they are at least {@code failurePercent} of the calls made; it then stays open
 * for {@code openFor}, after which {@code probes} calls must succeed for it to close again. Messages name the
 * configuration keys.
 */
public record BreakerSettings(int minFailures, int failurePercent, Duration window, Duration openFor, int probes) {
    /** Opens on 5 failures that are at least half of the calls within 10 s; stays open 1 s; closes on 3 probes. */
    public static final BreakerSettings DEFAULTS =
            new BreakerSettings(5, 50, Duration.ofSeconds(10), Duration.ofSeconds(1), 3);

    public BreakerSettings {
        Objects.requireNonNull(window, "window");
        Objects.requireNonNull(openFor, "openFor");
        if (minFailures < 1) {
            throw new TenancyException.InvalidInput("redis-breaker-min-failures: " + minFailures
                    + " (expected: > 0)");
        }
        if (failurePercent < 1 || failurePercent > 100) {
            throw new TenancyException.InvalidInput("redis-breaker-failure-percent: " + failurePercent
                    + " (expected: 1..100)");
        }
        if (window.toMillis() < CircuitBreaker.SLOTS) {
            throw new TenancyException.InvalidInput("redis-breaker-window-ms: " + window.toMillis()
                    + " (expected: >= " + CircuitBreaker.SLOTS + ")");
        }
        if (openFor.isNegative() || openFor.isZero()) {
            throw new TenancyException.InvalidInput("redis-breaker-open-ms: " + openFor.toMillis()
                    + " (expected: > 0)");
        }
        if (probes < 1) {
            throw new TenancyException.InvalidInput("breaker probes: " + probes + " (expected: > 0)");
        }
    }
}
