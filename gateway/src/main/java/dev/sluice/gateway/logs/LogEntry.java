package dev.sluice.gateway.logs;

import java.time.Instant;
import java.util.Objects;

/**
 * One invocation of a function as its tenant may read it back: the id the response carried in
 * {@code Sluice-Invocation-Id}, when it ended, the HTTP status the client got and what ended it ({@code completed},
 * {@code exited}, or the problem's type such as {@code function-trapped}), the fuel it used, how long the guest ran,
 * and what the guest wrote to stderr (cut to the store's per-entry bound; {@code truncated} says so).
 *
 * <p>Nothing here comes from the request: no body, header, key or secret. The stderr text is the tenant's own
 * guest's output, shown only to that tenant.
 */
public record LogEntry(String invocationId, Instant time, int status, String outcome, long fuel, long durationMs,
                       String stderr, boolean truncated) {
    /** What an entry costs against its tenant's byte cap beside its text: the record, its strings, the ring slot. */
    static final int OVERHEAD_BYTES = 256;

    public LogEntry {
        Objects.requireNonNull(invocationId, "invocationId");
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(outcome, "outcome");
        Objects.requireNonNull(stderr, "stderr");
        if (status < 100 || status > 599) {
            throw new IllegalArgumentException("status: " + status + " (expected: 100..599)");
        }
        if (fuel < 0) {
            throw new IllegalArgumentException("fuel: " + fuel + " (expected: >= 0)");
        }
        if (durationMs < 0) {
            throw new IllegalArgumentException("duration-ms: " + durationMs + " (expected: >= 0)");
        }
    }

    /** Bytes counted against the tenant's cap: two per char (a String's worst case) plus the fixed overhead. */
    long cost() {
        return OVERHEAD_BYTES + 2L * stderr.length();
    }
}
