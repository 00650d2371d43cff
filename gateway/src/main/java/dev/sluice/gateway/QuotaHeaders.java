package dev.sluice.gateway;

import dev.sluice.gateway.http.ProblemException;
import io.helidon.webserver.http.ServerResponse;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code RateLimit-Policy} and {@code RateLimit} headers of one response (IETF httpapi ratelimit-headers draft,
 * structured-field lists): one item per quota the request was counted against, in the order they were checked.
 * Confined to the request's thread.
 */
final class QuotaHeaders {
    private final List<String> policies = new ArrayList<>();
    private final List<String> remaining = new ArrayList<>();

    /**
     * @param unit quota unit ({@code qu} parameter) when not requests, e.g. {@code "concurrent-requests"}
     */
    void add(String name, long quota, long windowSeconds, String unit, long left, long resetSeconds) {
        StringBuilder policy = new StringBuilder("\"").append(name).append("\";q=").append(quota);
        if (windowSeconds > 0) {
            policy.append(";w=").append(windowSeconds);
        }
        if (unit != null) {
            policy.append(";qu=\"").append(unit).append('"');
        }
        policies.add(policy.toString());
        StringBuilder item = new StringBuilder("\"").append(name).append("\";r=").append(Math.max(0, left));
        if (resetSeconds > 0) {
            item.append(";t=").append(resetSeconds);
        }
        remaining.add(item.toString());
    }

    void applyTo(ServerResponse res) {
        res.header("RateLimit-Policy", String.join(", ", policies));
        res.header("RateLimit", String.join(", ", remaining));
    }

    /** A refusal carries the same headers as an admitted response. */
    ProblemException applyTo(ProblemException problem) {
        return problem.header("RateLimit-Policy", String.join(", ", policies))
                .header("RateLimit", String.join(", ", remaining));
    }
}
