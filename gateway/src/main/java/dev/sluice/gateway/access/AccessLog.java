package dev.sluice.gateway.access;

import dev.sluice.config.ConfigException;
import dev.sluice.config.LogsConfig;
import dev.sluice.gateway.core.Caller;
import dev.sluice.gateway.http.ErrorMapper;
import dev.sluice.gateway.http.ProblemType;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Objects;
import java.util.Optional;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The access log: a routing filter writing one JSON line per request on the main port, once it is answered. A line
 * holds the time the request arrived (RFC 3339, UTC, from the injected clock), the trace id when a span is current,
 * the method, the route template ({@link Routes}; never the raw path), the function and the authenticated tenant,
 * the invocation id, the status, the problem type, the fuel, the duration and the bytes in and out:
 *
 * <pre>{"time":"2026-01-01T00:00:00Z","trace-id":null,"method":"POST","route":"/v1/functions/{name}/invoke",
 * "function":"hello","tenant":"acme","invocation-id":"7f0c…","status":200,"problem":null,"fuel":1234,
 * "duration-ms":2.113,"bytes-in":4,"bytes-out":187}</pre>
 *
 * Never a header (so no key or token), a query, a body or a path segment other than a valid function name; every
 * value is written by Jackson, so nothing a client sends can break a line. The request's thread only captures the
 * values ({@link AccessEntry}); the bounded {@link AccessLogWriter} formats and writes them, never blocking it.
 */
public final class AccessLog implements Filter, AutoCloseable {
    private static final HeaderName INVOCATION_ID = HeaderNames.create("Sluice-Invocation-Id");
    private static final HeaderName FUEL_USED = HeaderNames.create(ErrorMapper.FUEL_USED_HEADER);
    private static final HeaderName TRACE_ID = HeaderNames.create("Sluice-Trace-Id");

    private final AccessLogWriter writer;
    private final InstantSource clock;
    private final LongSupplier nanoTime;
    private final Supplier<String> traceId;

    private AccessLog(AccessLogWriter writer, InstantSource clock, LongSupplier nanoTime, Supplier<String> traceId) {
        this.writer = Objects.requireNonNull(writer, "writer");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
        this.traceId = traceId;
    }

    /**
     * @param traceId the current span's trace id, or null when there is none; may itself be null (no tracing). Asked
     *                on the request's thread before the request is handled, so a tracing filter must come first.
     */
    public static AccessLog create(AccessLogWriter writer, InstantSource clock, LongSupplier nanoTime,
                                   Supplier<String> traceId) {
        return new AccessLog(writer, clock, nanoTime, traceId);
    }

    /**
     * The log {@code access-log} asks for: empty when {@code off}; {@code stdout}; or a file appended to (created if
     * missing; a file that cannot be opened stops the start naming the key).
     */
    public static Optional<AccessLog> open(LogsConfig config, InstantSource clock, LongSupplier nanoTime,
                                           Runnable onDrop, Supplier<String> traceId,
                                           Optional<OutputStream> output) {
        if (!config.accessLogEnabled() && output.isEmpty()) {
            return Optional.empty();
        }
        OutputStream out;
        boolean owned;
        if (output.isPresent()) {
            out = output.get();
            owned = false;
        } else if (config.accessLog().equals("stdout")) {
            out = System.out;
            owned = false;
        } else {
            try {
                out = Files.newOutputStream(Path.of(config.accessLog()), StandardOpenOption.CREATE,
                        StandardOpenOption.APPEND, StandardOpenOption.WRITE);
            } catch (IOException | RuntimeException e) {
                throw new ConfigException("access-log: cannot append to '" + config.accessLog()
                        + "' (" + e.getMessage() + ")");
            }
            owned = true;
        }
        AccessLogWriter writer = AccessLogWriter.start(out, owned, config.accessLogQueue(), onDrop);
        return Optional.of(create(writer, clock, nanoTime, traceId));
    }

    /** Lines lost so far (the queue full, or a write failed). */
    public long dropped() {
        return writer.dropped();
    }

    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        Instant time = clock.instant();
        long start = nanoTime.getAsLong();
        String trace = currentTrace();
        try {
            chain.proceed();
        } finally {
            // A tracing filter placed after this one still names its trace in the response.
            String traced = trace != null ? trace : res.headers().first(TRACE_ID).orElse(null);
            writer.offer(entry(req, res, time, traced, nanoTime.getAsLong() - start));
        }
    }

    private String currentTrace() {
        if (traceId == null) {
            return null;
        }
        try {
            return traceId.get();
        } catch (RuntimeException e) {
            return null;
        }
    }

    /**
     * {@link Routes}' template; for a path it does not know, the pattern Helidon matched (a template registered in code,
     * never client text), so a route added to the routing but not to {@link Routes} still logs under its own pattern
     * rather than {@code unmatched}. Helidon's pattern alone is not used: a request refused before its inner route
     * (a 401 from the {@code /v1} authentication) carries only the prefix, {@code /v1}.
     */
    private static String routeName(Routes.Match route, RoutingRequest req) {
        if (!route.route().equals(Routes.UNMATCHED)) {
            return route.route();
        }
        return req.matchingPattern().filter(pattern -> !pattern.isEmpty()).orElse(Routes.UNMATCHED);
    }

    /** What the line needs, captured now; the writer thread formats it. */
    private static AccessEntry entry(RoutingRequest req, RoutingResponse res, Instant time, String trace, long nanos) {
        Routes.Match route = Routes.match(req.prologue().uriPath().rawPath());
        return new AccessEntry(time, trace, req.prologue().method().text(), routeName(route, req),
                route.function().orElse(null),
                req.context().get(Caller.class).map(caller -> caller.tenant().id().value()).orElse(null),
                res.headers().first(INVOCATION_ID).orElse(null), res.status().code(),
                req.context().get(ProblemType.class).map(ProblemType::slug).orElse(null),
                res.headers().first(FUEL_USED).map(AccessLog::parse).orElse(-1L),
                nanos, req.headers().contentLength().orElse(-1), res.bytesWritten());
    }

    private static long parse(String text) {
        try {
            return Math.max(-1, Long.parseLong(text));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    @Override
    public void close() {
        writer.close();
    }
}
