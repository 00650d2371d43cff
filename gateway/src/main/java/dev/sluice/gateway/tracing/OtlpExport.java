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
import java.util.Locale;
import java.util.Map;
import java.util.Set;
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
    /** Names the JDK's HTTP client refuses to send (jdk.internal.net.http.common.Utils): every export would fail. */
    private static final Set<String> RESTRICTED = Set.of("connection", "content-length", "expect", "host", "upgrade");

    private OtlpExport() {}

    /** Where and how one process exports: {@code otlp-*} with the headers file read and checked once. */
    record Target(String base, Duration timeout, Map<String, String> headers) {
        static Target of(TracingConfig config) {
            String endpoint = config.otlpEndpoint();
            return new Target(endpoint.endsWith("/") ? endpoint.substring(0, endpoint.length() - 1) : endpoint,
                    Duration.ofMillis(config.otlpTimeoutMs()), OtlpExport.headers(config));
        }
    }

    /** The span exporter to {@code <otlp-endpoint>/v1/traces}. */
    static SpanExporter spans(TracingConfig config) {
        Target target = Target.of(config);
        var builder = OtlpHttpSpanExporter.builder()
                .setEndpoint(target.base() + "/v1/traces")
                .setTimeout(target.timeout())
                .setConnectTimeout(target.timeout())
                .setRetryPolicy(null)
                .setMeterProvider(MeterProvider::noop);
        target.headers().forEach(builder::addHeader);
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
        Target target = Target.of(config);
        var builder = OtlpHttpMetricExporter.builder()
                .setEndpoint(target.base() + "/v1/metrics")
                .setTimeout(target.timeout())
                .setConnectTimeout(target.timeout())
                .setRetryPolicy(null)
                .setMeterProvider(MeterProvider::noop);
        target.headers().forEach(builder::addHeader);
        return List.of(PeriodicMetricReader.builder(builder.build())
                .setInterval(Duration.ofMillis(config.otlpMetricsIntervalMs()))
                .build());
    }

    /**
     * {@code otlp-headers-file}: {@code Name: value} lines, blank lines and {@code #} comments ignored. Checked as
     * strictly as the JDK's HTTP client checks each export (a token name, not one it refuses such as {@code Host},
     * no name twice, a value of visible ASCII, spaces and tabs only), so a bad file fails the start instead of every
     * export, and the client never logs a refused value. A message names the file and line, never a value.
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
            String where = "otlp-headers-file: " + file + " line " + (i + 1);
            int colon = line.indexOf(':');
            String name = colon > 0 ? line.substring(0, colon).strip() : "";
            String value = colon > 0 ? line.substring(colon + 1).strip() : "";
            if (name.isEmpty() || !HEADER_NAME.matcher(name).matches() || value.isEmpty()
                    || !value.chars().allMatch(c -> (c >= 0x21 && c <= 0x7e) || c == ' ' || c == '\t')) {
                throw new ConfigException(where + " (expected: Name: value, the value visible ASCII)");
            }
            String lower = name.toLowerCase(Locale.ROOT);
            if (RESTRICTED.contains(lower)) {
                throw new ConfigException(where + ": " + name + " (expected: a header the HTTP client may send, not "
                        + "Connection, Content-Length, Expect, Host or Upgrade)");
            }
            if (headers.keySet().stream().anyMatch(n -> n.equalsIgnoreCase(name))) {
                throw new ConfigException(where + ": " + name + " given twice (expected: each name once)");
            }
            headers.put(name, value);
        }
        return headers;
    }
}
