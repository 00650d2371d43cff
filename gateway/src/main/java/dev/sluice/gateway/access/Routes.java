package dev.sluice.gateway.access;

import dev.sluice.scheduler.FunctionName;
import dev.sluice.scheduler.SchedulerException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

/**
 * A request path as the route template it matched, never the path itself: a path holds what the client chose (a
 * tenant's names, a WAGI sub-path, anything on a 404), and the log keeps only the template from this fixed list,
 * plus the function's name as its own field when the path names a valid one. Mirrors the routing in {@code Sluice};
 * a path it does not know falls back to the pattern Helidon matched (see {@code AccessLog}).
 */
final class Routes {
    static final String UNMATCHED = "unmatched";
    private static final List<String[]> TEMPLATES = List.of(
            "/health", "/health/ready", "/metrics",
            "/admin/v1/config", "/admin/v1/config/refresh",
            "/admin/v1/plans", "/admin/v1/plans/{plan}",
            "/admin/v1/tenants", "/admin/v1/tenants/{tenant}", "/admin/v1/tenants/{tenant}/keys",
            "/admin/v1/tenants/{tenant}/keys/{id}", "/admin/v1/tenants/{tenant}/keys/{id}/rotate",
            "/admin/v1/tenants/{tenant}/usage",
            "/v1/functions", "/v1/functions/{name}", "/v1/functions/{name}/secrets",
            "/v1/functions/{name}/secrets/{secret}", "/v1/functions/{name}/logs", "/v1/functions/{name}/invoke",
            "/v1/functions/{name}/invoke/{+path}", "/v1/usage",
            "/admin/v1/tenants/{tenant}/functions", "/admin/v1/usage", "/admin/v1/stats").stream().map(t -> t.split("/")).toList();

    private Routes() {
    }

    /** The route a raw path matched, and the function it names if any. */
    record Match(String route, Optional<String> function) {
    }

    static Match match(String rawPath) {
        String[] segments = rawPath.split("/", -1);
        for (String[] template : TEMPLATES) {
            Optional<Optional<String>> function = matches(template, segments);
            if (function.isPresent()) {
                return new Match(String.join("/", template), function.get());
            }
        }
        return new Match(UNMATCHED, Optional.empty());
    }

    /** Empty when {@code segments} do not match; else the {@code {name}} segment when it is a valid function name. */
    private static Optional<Optional<String>> matches(String[] template, String[] segments) {
        Optional<String> function = Optional.empty();
        for (int i = 0; i < template.length; i++) {
            String part = template[i];
            if (part.equals("{+path}")) {
                return Optional.of(function);
            }
            if (i >= segments.length) {
                return Optional.empty();
            }
            if (part.startsWith("{")) {
                if (segments[i].isEmpty()) {
                    return Optional.empty();
                }
                if (part.equals("{name}")) {
                    function = functionName(segments[i]);
                }
            } else if (!part.equals(segments[i])) {
                return Optional.empty();
            }
        }
        return template.length == segments.length ? Optional.of(function) : Optional.empty();
    }

    private static Optional<String> functionName(String rawSegment) {
        try {
            return Optional.of(FunctionName.of(URLDecoder.decode(rawSegment, StandardCharsets.UTF_8)).value());
        } catch (SchedulerException.InvalidInput | IllegalArgumentException e) {
            return Optional.empty(); // not a name a function can have: the route's 400 says so, the log does not
        }
    }
}
