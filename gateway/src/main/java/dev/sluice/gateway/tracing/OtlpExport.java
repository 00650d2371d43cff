package dev.sluice.gateway.tracing;

import dev.sluice.config.ConfigException;
import dev.sluice.config.TracingConfig;
import io.opentelemetry.api.metrics.MeterProvider;
import io.opentelemetry.exporter.otlp.http.metrics.OtlpHttpMetricExporter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.metrics.export.MetricReader;
import io.opentelemetry.sdk.metrics.export.PeriodicMetricReader;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The OTLP/HTTP exporters (protobuf, the JDK's HTTP client: OkHttp is not on the class path) for one process, built
 * from {@code otlp-*}. Each export is one attempt bounded by {@code otlp-timeout-ms}, without retries: a span batch or
 * a metrics collection that the collector does not take in time is dropped, so a slow or absent collector holds at
 * most one export's data in memory besides the span queue ({@link Tracing}). The exporters report nothing about
 * themselves (no-op meter provider): their metrics would not be Sluice's.
 */
public final class OtlpExport {
    private static final Pattern HEADER_NAME = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");

    private OtlpExport() {}

    /** The span exporter to {@code <otlp-endpoint>/v1/traces}. */
    static SpanExporter spans(TracingConfig config) {
        var builder = OtlpHttpSpanExporter.builder()
                .setEndpoint(base(config) + "/v1/traces")
                .setTimeout(Duration.ofMillis(config.otlpTimeoutMs()))
                .setConnectTimeout(Duration.ofMillis(config.otlpTimeoutMs()))
                .setRetryPolicy(null)
                .setMeterProvider(MeterProvider::noop);
        headers(config).forEach(builder::addHeader);
        return builder.build();
    }

    /**
     * A reader pushing every {@code otlp-metrics-interval-ms} to {@code <otlp-endpoint>/v1/metrics}, to register on
     * the process's meter provider beside the Prometheus reader; empty without an endpoint. Closing the provider
     * pushes once more.
     */
    public static List<MetricReader> metricReaders(TracingConfig config) {
        if (!config.exporting()) {
            return List.of();
        }
        var builder = OtlpHttpMetricExporter.builder()
                .setEndpoint(base(config) + "/v1/metrics")
                .setTimeout(Duration.ofMillis(config.otlpTimeoutMs()))
                .setConnectTimeout(Duration.ofMillis(config.otlpTimeoutMs()))
                .setRetryPolicy(null)
                .setMeterProvider(MeterProvider::noop);
        headers(config).forEach(builder::addHeader);
        return List.of(PeriodicMetricReader.builder(builder.build())
                .setInterval(Duration.ofMillis(config.otlpMetricsIntervalMs()))
                .build());
    }

    private static String base(TracingConfig config) {
        String endpoint = config.otlpEndpoint();
        return endpoint.endsWith("/") ? endpoint.substring(0, endpoint.length() - 1) : endpoint;
    }

    /**
     * {@code otlp-headers-file}: {@code Name: value} lines, blank lines and {@code #} comments ignored. Read once, at
     * start; a message names the file and line, never a value.
     */
    static Map<String, String> headers(TracingConfig config) {
        if (config.otlpHeadersFile().isEmpty()) {
            return Map.of();
        }
        Path file = Path.of(config.otlpHeadersFile());
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ConfigException("otlp-headers-file: cannot read " + file + " (" + e.getClass().getSimpleName()
                    + ")");
        }
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int colon = line.indexOf(':');
            Optional<String> name = colon > 0 ? Optional.of(line.substring(0, colon).strip()) : Optional.empty();
            String value = colon > 0 ? line.substring(colon + 1).strip() : "";
            if (name.isEmpty() || !HEADER_NAME.matcher(name.get()).matches() || value.isEmpty()
                    || value.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
                throw new ConfigException("otlp-headers-file: " + file + " line " + (i + 1)
                        + " (expected: Name: value)");
            }
            headers.put(name.get(), value);
        }
        return headers;
    }
}
