package dev.sluice.gateway;

import dev.sluice.gateway.core.QuotaReport;
import dev.sluice.gateway.http.ProblemException;
import io.helidon.webserver.http.ServerResponse;

/**
 * Renders a {@link QuotaReport} as the {@code RateLimit-Policy} and {@code RateLimit} headers of a response (IETF
 * httpapi ratelimit-headers draft, structured-field lists): one item per quota the request was counted against, in
 * the order they were checked. An empty report (a request refused before its tenant was known) adds no header.
 */
final class QuotaHeaders {
    private QuotaHeaders() {}

    static void applyTo(ServerResponse res, QuotaReport report) {
        if (!report.isEmpty()) {
            res.header("RateLimit-Policy", policies(report));
            res.header("RateLimit", remaining(report));
        }
    }

    /** A refusal carries the same headers as an admitted response. */
    static ProblemException applyTo(ProblemException problem, QuotaReport report) {
        if (report.isEmpty()) {
            return problem;
        }
        return problem.header("RateLimit-Policy", policies(report)).header("RateLimit", remaining(report));
    }

    // Rendered on every admitted request (twice for an invocation: the rate quota, then the whole report), so straight
    // into one builder each.
    private static String policies(QuotaReport report) {
        StringBuilder policies = new StringBuilder(64);
        for (QuotaReport.Item item : report.items()) {
            if (!policies.isEmpty()) {
                policies.append(", ");
            }
            policies.append('"').append(item.name()).append("\";q=").append(item.quota());
            if (item.windowSeconds() > 0) {
                policies.append(";w=").append(item.windowSeconds());
            }
            if (item.unit() != null) {
                policies.append(";qu=\"").append(item.unit()).append('"');
            }
        }
        return policies.toString();
    }

    private static String remaining(QuotaReport report) {
        StringBuilder remaining = new StringBuilder(48);
        for (QuotaReport.Item item : report.items()) {
            if (!remaining.isEmpty()) {
                remaining.append(", ");
            }
            remaining.append('"').append(item.name()).append("\";r=").append(Math.max(0, item.remaining()));
            if (item.resetSeconds() > 0) {
                remaining.append(";t=").append(item.resetSeconds());
            }
        }
        return remaining.toString();
    }
}
