package dev.sluice.gateway;

import dev.sluice.gateway.core.QuotaReport;
import dev.sluice.gateway.http.ProblemException;
import io.helidon.webserver.http.ServerResponse;
import java.util.ArrayList;
import java.util.List;

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

    private static String policies(QuotaReport report) {
        List<String> policies = new ArrayList<>();
        for (QuotaReport.Item item : report.items()) {
            StringBuilder policy = new StringBuilder("\"").append(item.name()).append("\";q=").append(item.quota());
            if (item.windowSeconds() > 0) {
                policy.append(";w=").append(item.windowSeconds());
            }
            if (item.unit() != null) {
                policy.append(";qu=\"").append(item.unit()).append('"');
            }
            policies.add(policy.toString());
        }
        return String.join(", ", policies);
    }

    private static String remaining(QuotaReport report) {
        List<String> remaining = new ArrayList<>();
        for (QuotaReport.Item item : report.items()) {
            StringBuilder left = new StringBuilder("\"").append(item.name()).append("\";r=")
                    .append(Math.max(0, item.remaining()));
            if (item.resetSeconds() > 0) {
                left.append(";t=").append(item.resetSeconds());
            }
            remaining.add(left.toString());
        }
        return String.join(", ", remaining);
    }
}
