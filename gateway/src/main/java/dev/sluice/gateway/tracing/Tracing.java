package dev.sluice.gateway.tracing;

import dev.sluice.config.TracingConfig;
import dev.sluice.gateway.remote.RemoteDispatcher;
import dev.sluice.scheduler.Dispatcher;
import dev.sluice.scheduler.FunctionRegistry;
import dev.sluice.tenancy.auth.ApiKeys;
import dev.sluice.tenancy.quota.Quotas;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapSetter;
import io.opentelemetry.sdk.common.InternalTelemetryVersion;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.SpanLimits;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * One process's tracing: the OpenTelemetry tracer provider (parent-based ratio sampler, a batch processor with a
 * bounded queue, the OTLP/HTTP exporter when {@code otlp-endpoint} is set) and the decorators that put spans on the
 * request path. With {@code tracing = off} it is inert: every decorator returns what it was given and no filter is
 * installed, so an untraced request costs nothing here.
 *
 * <p>Memory is bounded whatever the collector does: at most {@link #MAX_QUEUE} ended spans wait to be exported
 * (more are dropped, never blocking the request), exported in batches of at most {@link #MAX_BATCH}, one export at a
 * time bounded by {@code otlp-timeout-ms} ({@link OtlpExport}). Span attributes are capped at
 * {@link #MAX_ATTRIBUTE_LENGTH} characters. Closing flushes the whole queue and stops: at most
 * {@code MAX_QUEUE / MAX_BATCH + 1} exports, each bounded by {@code otlp-timeout-ms}, so a stop waits at most five
 * export timeouts (plus a second); what a collector has not taken by then is dropped. Without an
 * {@code otlp-endpoint} nothing is recorded (trace ids are still made and returned). Each process says who it is:
 * {@code service.name} (its role) and a random {@code service.instance.id}. Built once per process, closed with it;
 * thread-safe.
 */
public final class Tracing implements AutoCloseable {
    static final int MAX_QUEUE = 2048;
    static final int MAX_BATCH = 512;
    static final int MAX_ATTRIBUTE_LENGTH = 256;
    static final Duration SCHEDULE_DELAY = Duration.ofSeconds(1);
    private static final String INSTRUMENTATION = "dev.sluice.gateway";
    private static final TextMapSetter<Map<String, String>> MAP_SETTER = Map::put;

    private final SdkTracerProvider provider;
    private final Tracer tracer;
    private final boolean trust;
    private final long closeTimeoutMs;
    private final DroppedSpans dropped;

    private Tracing(SdkTracerProvider provider, boolean trust, long closeTimeoutMs, DroppedSpans dropped) {
        this.provider = provider;
        this.dropped = dropped;
        this.tracer = provider == null ? null : provider.get(INSTRUMENTATION);
        this.trust = trust;
        this.closeTimeoutMs = closeTimeoutMs;
    }

    /** Tracing as configured; {@code service} names the process's role in the collector ({@code service.name}). */
    public static Tracing create(TracingConfig config, String service) {
        if (!config.tracingOn()) {
            return off();
        }
        DroppedSpans dropped = new DroppedSpans();
        var builder = SdkTracerProvider.builder()
                .setResource(Resource.create(Attributes.of(AttributeKey.stringKey("service.name"), service,
                        AttributeKey.stringKey("service.instance.id"), UUID.randomUUID().toString())))
                // Without an exporter every recorded span would be thrown away: record none, whatever a trusted
                // client asks; the ids are still made, so responses still carry them.
                .setSampler(config.exporting()
                        ? Sampler.parentBased(Sampler.traceIdRatioBased(config.traceSamplingRatio()))
                        : Sampler.alwaysOff())
                .setSpanLimits(SpanLimits.builder().setMaxNumberOfAttributes(32).setMaxNumberOfLinks(4)
                        .setMaxNumberOfEvents(8).setMaxAttributeValueLength(MAX_ATTRIBUTE_LENGTH).build());
        if (config.exporting()) {
            builder.addSpanProcessor(BatchSpanProcessor.builder(OtlpExport.spans(config))
                    .setMaxQueueSize(MAX_QUEUE)
                    .setMaxExportBatchSize(MAX_BATCH)
                    .setScheduleDelay(SCHEDULE_DELAY)
                    // Past the export's own timeout: the processor waits for the one export in flight, never
                    // starts a second beside it.
                    .setExporterTimeout(Duration.ofMillis(config.otlpTimeoutMs() + 1_000))
                    // Only the drops are kept (sluice.trace.spans.dropped), read from the legacy instrument names.
                    .setMeterProvider(dropped)
                    .setInternalTelemetryVersion(InternalTelemetryVersion.LEGACY)
                    .build());
        }
        // Every queued batch may take its whole export timeout: the stop waits for all of them, not only the first.
        long closeTimeoutMs = config.otlpTimeoutMs() * (MAX_QUEUE / MAX_BATCH + 1) + 1_000;
        return new Tracing(builder.build(), config.trustTraceparent(), closeTimeoutMs, dropped);
    }

    /** No tracing at all. */
    public static Tracing off() {
        return new Tracing(null, false, 0, new DroppedSpans());
    }

    /**
     * Ended spans dropped because the export queue was full (a slow or absent collector): for
     * {@code sluice.trace.spans.dropped}; 0 when off or not exporting.
     */
    public long spansDropped() {
        return dropped.dropped();
    }

    public boolean on() {
        return provider != null;
    }

    /**
     * The tenant API's routing with the filter that makes each request's server span first (a client's
     * {@code traceparent} trusted or only linked, per the {@code traceparent} key); unchanged when off.
     */
    public HttpRouting.Builder filtered(HttpRouting.Builder routing) {
        if (on()) {
            routing.addFilter(new TracingFilter(tracer, request -> trust));
        }
        return routing;
    }

    /**
     * A worker's internal routing: the gateway's {@code traceparent} is continued when the request carries the worker
     * secret ({@code trusted}), so the worker's spans are children of the gateway's; anyone else's is only linked.
     */
    public HttpRouting.Builder filteredInternal(HttpRouting.Builder routing, Predicate<ServerRequest> trusted) {
        if (on()) {
            routing.addFilter(new TracingFilter(tracer, trusted));
        }
        return routing;
    }

    /** The keys, with {@code verify} traced as {@code sluice.authenticate}. */
    public ApiKeys keys(ApiKeys keys) {
        return on() ? new TracedKeys(keys, tracer) : keys;
    }

    /** The admin token's check, traced as {@code sluice.authenticate} with {@code sluice.auth.realm = admin}. */
    public Predicate<String> admin(Predicate<String> verify) {
        return on() ? token -> TracedKeys.authenticate(tracer, "admin", () -> verify.test(token), Boolean::booleanValue)
                : verify;
    }

    /** The quotas, each check a span that says which store answered it ({@code redis} when shared). */
    public Quotas quotas(Quotas quotas, boolean redis) {
        if (!on()) {
            return quotas;
        }
        String store = redis ? "redis" : "local";
        return quotas.decorated(r -> new TracedQuotas.Rates(r, tracer, store),
                c -> new TracedQuotas.Concurrency(c, tracer, store), f -> new TracedQuotas.Fuel(f, tracer, store));
    }

    /** The registry, each deploy (validation, instrumentation, storing, the compile wait) a span. */
    public FunctionRegistry deploys(FunctionRegistry functions) {
        return on() ? new TracedDeploys(functions, tracer) : functions;
    }

    /**
     * The dispatcher, each invocation a {@code sluice.dispatch} span with its queue wait and run as children
     * ({@code sluice.remote.wait} and {@code sluice.remote.call} in front of remote workers).
     */
    public Dispatcher dispatcher(Dispatcher dispatcher) {
        return on() ? new TracedDispatcher(dispatcher, tracer, dispatcher instanceof RemoteDispatcher, System::nanoTime)
                : dispatcher;
    }

    /**
     * The W3C {@code traceparent} (and {@code tracestate}) of the span current on this thread, for a call to a
     * worker; empty when there is none (tracing off, or outside a traced request).
     */
    public static Map<String, String> outgoingHeaders() {
        Context context = Context.current();
        if (!Span.fromContext(context).getSpanContext().isValid()) {
            return Map.of();
        }
        Map<String, String> headers = new HashMap<>(4);
        W3CTraceContextPropagator.getInstance().inject(context, headers, MAP_SETTER);
        return headers;
    }

    /**
     * The trace id of the request being handled on this thread (inside the routing), when tracing is on; for an
     * access log. Outside the routing (a filter placed before this one), read the response's
     * {@code Sluice-Trace-Id} header instead.
     */
    public static Optional<String> currentTraceId() {
        SpanContext context = Span.current().getSpanContext();
        return context.isValid() ? Optional.of(context.getTraceId()) : Optional.empty();
    }

    /**
     * {@code work} to run on another thread (a deploy thread) as part of this thread's trace: its spans are children
     * of the span current here. Unchanged in effect when nothing is traced.
     */
    public static <T> Supplier<T> inCurrentTrace(Supplier<T> work) {
        return Context.current().wrapSupplier(work);
    }

    /** A span context as a {@code traceresponse} value: {@code 00-<trace id>-<span id>-<flags>}. */
    static String traceresponse(SpanContext context) {
        return "00-" + context.getTraceId() + "-" + context.getSpanId() + "-" + context.getTraceFlags().asHex();
    }

    /** Flushes the whole span queue (at most five export timeouts plus a second), then stops exporting. */
    @Override
    public void close() {
        if (provider != null) {
            provider.shutdown().join(closeTimeoutMs, TimeUnit.MILLISECONDS);
        }
    }
}
