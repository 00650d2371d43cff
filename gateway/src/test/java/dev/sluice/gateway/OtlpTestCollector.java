package dev.sluice.gateway;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A real OTLP/HTTP collector on a loopback port for tests: takes {@code POST /v1/traces} and {@code /v1/metrics} in
 * protobuf (decoded with opentelemetry-proto) and keeps what came, queryable: the spans, the metric names, and every
 * byte received (so a test can prove a secret never left the process). {@link #hold} makes it a slow collector that
 * answers nothing until {@link #release}. Thread-safe.
 */
final class OtlpTestCollector implements AutoCloseable {
    /** One exported span, flattened: ids in lower-case hex, attribute values as text. */
    record CollectedSpan(String service, String traceId, String spanId, String parentSpanId, String name, int kind,
                         Map<String, String> attributes, List<String> links, long startNanos, long endNanos,
                         String instance, boolean error, String statusMessage) {
        boolean root() {
            return parentSpanId.isEmpty();
        }

        String attribute(String key) {
            return attributes.get(key);
        }

        @Override
        public String toString() {
            return service + ":" + name + " " + spanId + "<-" + parentSpanId + " " + attributes + " links=" + links;
        }
    }

    private final HttpServer server;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread thread = new Thread(r, "otlp-test-collector");
        thread.setDaemon(true);
        return thread;
    });
    private final List<CollectedSpan> spans = new ArrayList<>();
    private final Set<String> metricNames = new TreeSet<>();
    private final ByteArrayOutputStream received = new ByteArrayOutputStream();
    private final Set<String> authorizations = new TreeSet<>();
    private int traceRequests;
    private volatile CountDownLatch held = new CountDownLatch(0);

    private OtlpTestCollector() throws IOException {
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        server.setExecutor(threads);
        server.createContext("/v1/traces", exchange -> handle(exchange, true));
        server.createContext("/v1/metrics", exchange -> handle(exchange, false));
        server.start();
    }

    static OtlpTestCollector start() {
        try {
            return new OtlpTestCollector();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The base URL to give as {@code otlp-endpoint}. */
    String endpoint() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** From now on every export waits, unanswered, until {@link #release}: a collector that is too slow. */
    void hold() {
        held = new CountDownLatch(1);
    }

    void release() {
        held.countDown();
    }

    private void handle(HttpExchange exchange, boolean traces) throws IOException {
        try (exchange; InputStream in = exchange.getRequestBody()) {
            byte[] body = in.readAllBytes();
            held.await(2, TimeUnit.MINUTES);
            if (!exchange.getRequestMethod().equals("POST")) {
                exchange.sendResponseHeaders(405, -1);
                return;
            }
            byte[] answer;
            synchronized (this) {
                received.writeBytes(body);
                authorizations.addAll(exchange.getRequestHeaders().getOrDefault("Authorization", List.of()));
                if (traces) {
                    traceRequests++;
                    collect(ExportTraceServiceRequest.parseFrom(body));
                    answer = ExportTraceServiceResponse.getDefaultInstance().toByteArray();
                } else {
                    ExportMetricsServiceRequest.parseFrom(body).getResourceMetricsList().forEach(r ->
                            r.getScopeMetricsList().forEach(s -> s.getMetricsList().forEach(m ->
                                    metricNames.add(m.getName()))));
                    answer = ExportMetricsServiceResponse.getDefaultInstance().toByteArray();
                }
            }
            exchange.getResponseHeaders().set("Content-Type", "application/x-protobuf");
            exchange.sendResponseHeaders(200, answer.length);
            exchange.getResponseBody().write(answer);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void collect(ExportTraceServiceRequest request) {
        HexFormat hex = HexFormat.of();
        for (ResourceSpans resource : request.getResourceSpansList()) {
            Map<String, String> resourceAttributes = text(resource.getResource().getAttributesList());
            String service = resourceAttributes.getOrDefault("service.name", "");
            String instance = resourceAttributes.getOrDefault("service.instance.id", "");
            for (ScopeSpans scope : resource.getScopeSpansList()) {
                for (io.opentelemetry.proto.trace.v1.Span span : scope.getSpansList()) {
                    List<String> links = span.getLinksList().stream()
                            .map(l -> hex.formatHex(l.getTraceId().toByteArray()) + "-"
                                    + hex.formatHex(l.getSpanId().toByteArray()))
                            .toList();
                    spans.add(new CollectedSpan(service, hex.formatHex(span.getTraceId().toByteArray()),
                            hex.formatHex(span.getSpanId().toByteArray()),
                            hex.formatHex(span.getParentSpanId().toByteArray()), span.getName(),
                            span.getKindValue(), text(span.getAttributesList()), links,
                            span.getStartTimeUnixNano(), span.getEndTimeUnixNano(), instance,
                            span.getStatus().getCodeValue() == 2, span.getStatus().getMessage()));
                }
            }
        }
    }

    private static Map<String, String> text(List<KeyValue> attributes) {
        Map<String, String> map = new LinkedHashMap<>();
        for (KeyValue kv : attributes) {
            AnyValue value = kv.getValue();
            map.put(kv.getKey(), switch (value.getValueCase()) {
                case STRING_VALUE -> value.getStringValue();
                case INT_VALUE -> Long.toString(value.getIntValue());
                case BOOL_VALUE -> Boolean.toString(value.getBoolValue());
                case DOUBLE_VALUE -> Double.toString(value.getDoubleValue());
                default -> value.toString();
            });
        }
        return map;
    }

    synchronized List<CollectedSpan> spans() {
        return List.copyOf(spans);
    }

    List<CollectedSpan> trace(String traceId) {
        return spans().stream().filter(s -> s.traceId().equals(traceId)).toList();
    }

    synchronized Set<String> metricNames() {
        return Set.copyOf(metricNames);
    }

    /** Every {@code Authorization} header value the exports came with. */
    synchronized Set<String> authorizations() {
        return Set.copyOf(authorizations);
    }

    synchronized int traceRequests() {
        return traceRequests;
    }

    /** Whether {@code text} occurs anywhere in what was exported here (protobuf keeps strings as UTF-8). */
    synchronized boolean received(String text) {
        byte[] all = received.toByteArray();
        byte[] needle = text.getBytes(StandardCharsets.UTF_8);
        outer:
        for (int i = 0; i + needle.length <= all.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (all[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    /**
     * Waits until the spans received satisfy {@code done}; exporters push in real time (a batch every second), so
     * there is no clock to advance. Fails with what did arrive.
     */
    List<CollectedSpan> await(Predicate<List<CollectedSpan>> done, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            List<CollectedSpan> now = spans();
            if (done.test(now)) {
                return now;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the collector did not receive what was expected within " + timeout
                        + "; it has " + now.size() + " spans: " + now);
            }
            pause();
        }
    }

    /** The spans of trace {@code traceId} once {@code count} of them arrived. */
    List<CollectedSpan> awaitTrace(String traceId, int count) {
        return await(all -> all.stream().filter(s -> s.traceId().equals(traceId)).count() >= count,
                Duration.ofSeconds(60)).stream().filter(s -> s.traceId().equals(traceId)).toList();
    }

    /** Waits until metric {@code name} arrived (metrics are pushed in real time); fails with what did. */
    Set<String> awaitMetric(String name) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!metricNames().contains(name)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("metric " + name + " not received; received: " + metricNames());
            }
            pause();
        }
        return metricNames();
    }

    private static void pause() {
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        release();
        server.stop(0);
        threads.shutdownNow();
    }
}
