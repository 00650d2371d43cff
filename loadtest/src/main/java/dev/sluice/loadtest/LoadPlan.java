package dev.sluice.loadtest;

import java.time.Duration;

/**
 * How a {@link LoadGenerator} drives one target.
 *
 * <ul>
 *   <li>{@link Mode#OPEN}: requests at a constant arrival {@code rate} (per second), each at its fixed intended
 *       time whatever the answers before it; at most {@code concurrency} in flight.</li>
 *   <li>{@link Mode#CLOSED}: {@code concurrency} clients, each sending its next request when the last is answered;
 *       a {@code rate} above 0 is the rate the clients were meant to reach, and lets the histogram fill in the
 *       requests a stalled client would have sent (coordinated-omission correction); 0 records raw latencies.</li>
 * </ul>
 *
 * Requests of the {@code warmup} are sent but not recorded; then {@code duration} is measured. Both are bounded so
 * that a load run always stops by itself.
 */
record LoadPlan(Mode mode, double rate, int concurrency, Duration warmup, Duration duration) {
    static final Duration MAX_PHASE = Duration.ofMinutes(10);

    enum Mode { OPEN, CLOSED }

    LoadPlan {
        if (mode == null) {
            throw new IllegalArgumentException("mode: null (expected: open or closed)");
        }
        if (mode == Mode.OPEN ? !(rate > 0 && rate <= 1_000_000) : !(rate >= 0 && rate <= 1_000_000)) {
            throw new IllegalArgumentException("rate: " + rate + " (expected: " + (mode == Mode.OPEN ? "> 0" : ">= 0")
                    + " and <= 1000000 per second)");
        }
        if (concurrency < 1 || concurrency > 10_000) {
            throw new IllegalArgumentException((mode == Mode.OPEN ? "max-in-flight: " : "clients: ") + concurrency
                    + " (expected: 1..10000)");
        }
        if (warmup == null || warmup.isNegative() || warmup.compareTo(MAX_PHASE) > 0) {
            throw new IllegalArgumentException("warmup: " + warmup + " (expected: 0.." + MAX_PHASE + ")");
        }
        if (duration == null || duration.isNegative() || duration.isZero() || duration.compareTo(MAX_PHASE) > 0) {
            throw new IllegalArgumentException("duration: " + duration + " (expected: > 0 and <= " + MAX_PHASE + ")");
        }
    }

    static LoadPlan open(double rate, int maxInFlight, Duration warmup, Duration duration) {
        return new LoadPlan(Mode.OPEN, rate, maxInFlight, warmup, duration);
    }

    static LoadPlan closed(int clients, double targetRate, Duration warmup, Duration duration) {
        return new LoadPlan(Mode.CLOSED, targetRate, clients, warmup, duration);
    }

    String describe() {
        return mode == Mode.OPEN
                ? String.format("open loop, %.0f/s, max %d in flight", rate, concurrency)
                : String.format("closed loop, %d clients%s", concurrency,
                        rate > 0 ? String.format(", corrected for %.0f/s", rate) : "");
    }
}
