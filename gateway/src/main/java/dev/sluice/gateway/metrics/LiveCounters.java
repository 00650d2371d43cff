package dev.sluice.gateway.metrics;

/**
 * This process's counters since it started, all tenants together (what the console's throughput chart plots the
 * differences of): invocations that ran (the guest was dispatched, as the usage ledger counts them), those of them
 * that failed, requests refused by a quota, and invocations being handled now. Nothing here names a tenant.
 */
public record LiveCounters(long uptimeMillis, long invocations, long errors, long throttles, long inFlight) {
    public LiveCounters {
        if (uptimeMillis < 0) {
            throw new IllegalArgumentException("uptime-ms: " + uptimeMillis + " (expected: >= 0)");
        }
    }
}
