package dev.sluice.scheduler.cluster;

import java.time.Duration;
import java.util.Objects;

/**
 * How a {@link ClusterBalancer} places, queues and ejects.
 *
 * @param maxRunningPerTenant  calls one tenant may have on workers at once, all workers together
 * @param queuePerTenant       calls one tenant may have waiting for a worker; beyond it Overloaded at once
 * @param reservedSlots        the last free worker slots, kept for tenants running nothing (as WorkerPool's
 *                             reserved workers)
 * @param affinitySlack        how much more loaded (outstanding / max-concurrency, 0 to 1) the digest's home worker
 *                             may be than the power-of-two choice and still be used: 0 uses the home only when it is
 *                             no busier, 1 whenever it has room
 * @param consecutiveFailures  failures (lost or not started) in a row that eject a worker
 * @param failureWindow        the window of the failure-rate rule
 * @param failureMinCalls      calls in the window before the failure-rate rule applies
 * @param failureRate          share of failed calls in the window (0 exclusive to 1) that ejects a worker
 * @param probeInterval        how often an ejected worker is health-checked; it rejoins when a check passes
 * @param busyBackoff          after a worker refuses a call for want of room (other gateways fill it), how long this
 *                             gateway sends it nothing beyond what it already runs there; doubled on each refusal in
 *                             a row
 * @param busyBackoffMax       the longest that back-off grows to
 */
public record BalancerSettings(int maxRunningPerTenant, int queuePerTenant, int reservedSlots, double affinitySlack,
                               int consecutiveFailures, Duration failureWindow, int failureMinCalls,
                               double failureRate, Duration probeInterval, Duration busyBackoff,
                               Duration busyBackoffMax) {
    public BalancerSettings {
        Objects.requireNonNull(failureWindow, "failureWindow");
        Objects.requireNonNull(probeInterval, "probeInterval");
        Objects.requireNonNull(busyBackoff, "busyBackoff");
        Objects.requireNonNull(busyBackoffMax, "busyBackoffMax");
        positive("max-running-per-tenant", maxRunningPerTenant);
        positive("queue-per-tenant", queuePerTenant);
        if (reservedSlots < 0) {
            throw new IllegalArgumentException("reserved-slots: " + reservedSlots + " (expected: >= 0)");
        }
        if (!(affinitySlack >= 0 && affinitySlack <= 1)) {
            throw new IllegalArgumentException("affinity-slack: " + affinitySlack + " (expected: 0 to 1)");
        }
        positive("consecutive-failures", consecutiveFailures);
        positive("failure-min-calls", failureMinCalls);
        if (!(failureRate > 0 && failureRate <= 1)) {
            throw new IllegalArgumentException("failure-rate: " + failureRate + " (expected: > 0 and <= 1)");
        }
        if (failureWindow.isNegative() || failureWindow.isZero()) {
            throw new IllegalArgumentException("failure-window: " + failureWindow + " (expected: > 0)");
        }
        if (probeInterval.isNegative() || probeInterval.isZero()) {
            throw new IllegalArgumentException("probe-interval: " + probeInterval + " (expected: > 0)");
        }
        if (busyBackoff.isNegative() || busyBackoff.isZero()) {
            throw new IllegalArgumentException("busy-backoff: " + busyBackoff + " (expected: > 0)");
        }
        if (busyBackoffMax.compareTo(busyBackoff) < 0) {
            throw new IllegalArgumentException("busy-backoff-max: " + busyBackoffMax + " (expected: >= busy-backoff "
                    + busyBackoff + ")");
        }
    }

    /** The settings without the busy back-off, which gets its defaults (50 ms, growing to 800 ms). */
    public BalancerSettings(int maxRunningPerTenant, int queuePerTenant, int reservedSlots, double affinitySlack,
                            int consecutiveFailures, Duration failureWindow, int failureMinCalls, double failureRate,
                            Duration probeInterval) {
        this(maxRunningPerTenant, queuePerTenant, reservedSlots, affinitySlack, consecutiveFailures, failureWindow,
                failureMinCalls, failureRate, probeInterval, DEFAULT_BUSY_BACKOFF, DEFAULT_BUSY_BACKOFF_MAX);
    }

    private static final Duration DEFAULT_BUSY_BACKOFF = Duration.ofMillis(50);
    private static final Duration DEFAULT_BUSY_BACKOFF_MAX = Duration.ofMillis(800);

    /**
     * No per-tenant cap beyond the gateway's own concurrency quota, 64 waiting per tenant, no reserve, slack 0.25,
     * ejection after 5 failures in a row or half of at least 20 calls in 10 s failing, probes every second, a
     * busy worker left alone for 50 ms (doubling to 800 ms on refusals in a row).
     */
    public static BalancerSettings defaults() {
        return new BalancerSettings(Integer.MAX_VALUE, 64, 0, 0.25, 5, Duration.ofSeconds(10), 20, 0.5,
                Duration.ofSeconds(1));
    }

    /** These settings with the fair-queue rules replaced (e.g. by the in-process pool's configured ones). */
    public BalancerSettings withQueueing(int maxRunningPerTenant, int queuePerTenant, int reservedSlots) {
        return new BalancerSettings(maxRunningPerTenant, queuePerTenant, reservedSlots, affinitySlack,
                consecutiveFailures, failureWindow, failureMinCalls, failureRate, probeInterval, busyBackoff,
                busyBackoffMax);
    }

    /** These settings with another affinity slack. */
    public BalancerSettings withAffinitySlack(double slack) {
        return new BalancerSettings(maxRunningPerTenant, queuePerTenant, reservedSlots, slack, consecutiveFailures,
                failureWindow, failureMinCalls, failureRate, probeInterval, busyBackoff, busyBackoffMax);
    }

    /** These settings with another busy back-off: {@code initial} after a refusal, doubling up to {@code max}. */
    public BalancerSettings withBusyBackoff(Duration initial, Duration max) {
        return new BalancerSettings(maxRunningPerTenant, queuePerTenant, reservedSlots, affinitySlack,
                consecutiveFailures, failureWindow, failureMinCalls, failureRate, probeInterval, initial, max);
    }

    private static void positive(String key, long value) {
        if (value < 1) {
            throw new IllegalArgumentException(key + ": " + value + " (expected: > 0)");
        }
    }
}
