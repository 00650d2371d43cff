package dev.sluice.gateway.tracing;

import dev.sluice.gateway.core.Caller;
import dev.sluice.gateway.http.ProblemType;
import dev.sluice.gateway.remote.InternalProtocol;
import dev.sluice.scheduler.FunctionName;
import dev.sluice.scheduler.SchedulerException;
import io.helidon.common.parameters.Parameters;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.ServerRequestHeaders;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;
import io.helidon.webserver.http.ServerRequest;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.sdk.trace.ReadableSpan;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The server span of each request, first in the routing: continues the client's W3C trace context when
 * {@code trusted} says so, else starts a new trace that only links to it (so a client can neither force sampling nor
 * write into the provider's traces). The span is current while the request is routed, so the decorators' spans are
 * its children, and ends when the response (a problem document included) is written. Every traced response says its
 * trace: {@value #TRACE_ID} and {@code traceresponse} (W3C Trace Context level 2). Health checks (a worker's too) and
 * metrics scrapes are not traced. Attributes: method, route template (never the raw path), status, problem type,
 * tenant, function, and what the dispatch added (digest, fuel, outcome).
 */
final class TracingFilter implements Filter {
    static final String TRACE_ID = "Sluice-Trace-Id";
    static final int MAX_NAME = 64;
    private static final HeaderName TRACE_ID_HEADER = HeaderNames.create(TRACE_ID);
    private static final HeaderName TRACERESPONSE = HeaderNames.create("traceresponse");
    private static final HeaderName TRACEPARENT = HeaderNames.create("traceparent");
    private static final HeaderName TRACESTATE = HeaderNames.create("tracestate");
    private static final TextMapGetter<ServerRequestHeaders> HEADERS = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(ServerRequestHeaders headers) {
            return List.of("traceparent", "tracestate");
        }

        @Override
        public String get(ServerRequestHeaders headers, String key) {
            if (headers == null) {
                return null;
            }
            return switch (key) {
                case "traceparent" -> headers.first(TRACEPARENT).orElse(null);
                case "tracestate" -> headers.first(TRACESTATE).orElse(null);
                default -> null;
            };
        }
    };

    private static final Set<String> KNOWN_METHODS = Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH",
            "OPTIONS", "TRACE", "CONNECT");

    private final Tracer tracer;
    private final Predicate<ServerRequest> trusted;

    TracingFilter(Tracer tracer, Predicate<ServerRequest> trusted) {
        this.tracer = tracer;
        this.trusted = trusted;
    }

    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        String path = req.path().rawPath();
        if (path.startsWith("/health") || path.startsWith("/metrics") || path.equals(InternalProtocol.HEALTH)) {
            chain.proceed();
            return;
        }
        String method = method(req.prologue().method().text());
        SpanBuilder builder = tracer.spanBuilder(method).setSpanKind(SpanKind.SERVER)
                .setAttribute(TraceAttributes.HTTP_METHOD, method);
        Context client = req.headers().contains(TRACEPARENT)
                ? W3CTraceContextPropagator.getInstance().extract(Context.root(), req.headers(), HEADERS)
                : Context.root();
        SpanContext remote = Span.fromContext(client).getSpanContext();
        if (remote.isValid() && trusted.test(req)) {
            builder.setParent(client);
        } else {
            builder.setNoParent();
            if (remote.isValid()) {
                builder.addLink(remote);
            }
        }
        Span span = builder.startSpan();
        try (Scope ignored = span.makeCurrent()) {
            SpanContext context = span.getSpanContext();
            res.header(TRACE_ID_HEADER, context.getTraceId());
            res.header(TRACERESPONSE, Tracing.traceresponse(context));
            chain.proceed();
        } finally {
            end(span, method, req, res);
        }
    }

    private static void end(Span span, String method, RoutingRequest req, RoutingResponse res) {
        if (!span.isRecording()) {
            span.end();   // dropped by the sampler: its attributes and name would go nowhere
            return;
        }
        try {
            int status = res.status().code();
            span.setAttribute(TraceAttributes.HTTP_STATUS, status);
            Optional<String> route = req.matchingPattern().filter(p -> !p.isEmpty());
            route.ifPresent(r -> span.setAttribute(TraceAttributes.HTTP_ROUTE, r));
            // The route is a template from the production routing; capped anyway, as SpanLimits does not cap names.
            String name = route.map(r -> method + " " + r).orElse(method);
            span.updateName(name.length() > MAX_NAME ? name.substring(0, MAX_NAME) : name);
            Optional<ProblemType> problem = req.context().get(ProblemType.class);
            problem.ifPresent(p -> span.setAttribute(TraceAttributes.PROBLEM_TYPE, p.slug()));
            req.context().get(Caller.class)
                    .ifPresent(c -> span.setAttribute(TraceAttributes.TENANT, c.tenant().id().value()));
            function(req.path().pathParameters()).ifPresent(f -> span.setAttribute(TraceAttributes.FUNCTION, f));
            if (span instanceof ReadableSpan readable && readable.getAttribute(TraceAttributes.OUTCOME) == null) {
                span.setAttribute(TraceAttributes.OUTCOME, problem.map(ProblemType::slug).orElse("ok"));
            }
            if (status >= 500) {
                span.setStatus(StatusCode.ERROR);
            }
        } finally {
            span.end();
        }
    }

    /**
     * The method as the span's name and attribute: one of the standard methods, else {@code _OTHER} (OTel HTTP
     * semantic conventions). Helidon accepts any token as a method, so the client's text would otherwise give span
     * names of any length and cardinality.
     */
    static String method(String raw) {
        return KNOWN_METHODS.contains(raw) ? raw : "_OTHER";
    }

    /** The function named in the path, when it is a valid name (anything else is the client's text: not kept). */
    private static Optional<String> function(Parameters parameters) {
        if (!parameters.contains("name")) {
            return Optional.empty();
        }
        try {
            return Optional.of(FunctionName.of(parameters.get("name")).value());
        } catch (SchedulerException.InvalidInput | NoSuchElementException e) {
            return Optional.empty();
        }
    }
}
