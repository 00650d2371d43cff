package dev.sluice.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.opentelemetry.exporter.otlp.http.metrics.OtlpHttpMetricExporter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.export.PeriodicMetricReader;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The sink against the OpenTelemetry SDK's own OTLP/HTTP exporters (the JDK sender, as the gateway uses): they
 * report their exports as successful, and the sink counts each request and its bytes under its signal; anything
 * else is refused with 404 and counted apart.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class OtlpSinkTest {
    @Test
    void realExportersSucceedAndTheSinkCountsTheirRequestsAndBytesBySignal() throws Exception {
        try (OtlpSink sink = OtlpSink.start()) {
            String base = sink.endpoint().toString();
            OtlpHttpSpanExporter spans = OtlpHttpSpanExporter.builder().setEndpoint(base + "/v1/traces").build();
            try (SdkTracerProvider tracing = SdkTracerProvider.builder()
                    .addSpanProcessor(SimpleSpanProcessor.create(spans)).build()) {
                for (int i = 0; i < 3; i++) {
                    tracing.get("test").spanBuilder("call " + i).startSpan().end();
                }
                assertTrue(tracing.forceFlush().join(10, TimeUnit.SECONDS).isSuccess(), "spans exported");
            }
            OtlpHttpMetricExporter metrics = OtlpHttpMetricExporter.builder().setEndpoint(base + "/v1/metrics")
                    .build();
            try (SdkMeterProvider meters = SdkMeterProvider.builder().registerMetricReader(PeriodicMetricReader
                    .builder(metrics).setInterval(Duration.ofHours(1)).build()).build()) {
                meters.get("test").counterBuilder("calls").build().add(5);
                CompletableResultCode flushed = meters.forceFlush().join(10, TimeUnit.SECONDS);
                assertTrue(flushed.isSuccess(), "metrics exported");
            }

            Map<String, OtlpSink.Count> counts = sink.counts();
            assertEquals(3, counts.get("POST /v1/traces").requests(), sink.describe());
            assertTrue(counts.get("POST /v1/traces").bytes() > 3 * 20, "each span's bytes: " + sink.describe());
            assertTrue(counts.get("POST /v1/metrics").requests() >= 1, sink.describe());
            assertTrue(counts.get("POST /v1/metrics").bytes() > 20, sink.describe());

            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<Void> other = http.send(HttpRequest.newBuilder(sink.endpoint().resolve("/elsewhere"))
                    .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.discarding());
            assertEquals(404, other.statusCode());
            assertEquals(new OtlpSink.Count(1, 1), sink.counts().get("other"), sink.describe());
            assertEquals(3, sink.counts().size(), "a path outside the signals adds no entry of its own: "
                    + sink.describe());
        }
    }
}
