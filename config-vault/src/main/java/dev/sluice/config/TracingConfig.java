package dev.sluice.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Traces and OTLP export (docs/observability.md, "Traces"): where an OpenTelemetry collector listens, whether requests
 * are traced, how many traces are kept and whether a client's trace context is continued. All restart-only: the
 * exporters and the sampler are built once, at start. Off by default: no collector, no spans.
 *
 * @param otlpEndpoint           the collector's OTLP/HTTP base URL ({@code http://127.0.0.1:4318}); traces go to
 *                               {@code /v1/traces} and metrics to {@code /v1/metrics} under it; empty: no OTLP
 *                               export at all
 * @param otlpTimeoutMs          bound on one export call (connect and answer)
 * @param otlpMetricsIntervalMs  how often metrics are pushed to the collector
 * @param otlpHeadersFile        a file of {@code Name: value} lines sent with every export (a collector's auth
 *                               header), read at start and never logged; empty: none
 * @param tracing                {@code on} or {@code off}: whether requests are traced at all
 * @param traceSamplingRatio     the share of new traces kept, 0..1 (parent-based: a span follows its parent's choice)
 * @param traceparent            {@code restart} (a client's W3C trace context is only linked) or {@code trust}
 *                               (continued, its sampling decision included)
 */
public record TracingConfig(String otlpEndpoint, long otlpTimeoutMs, long otlpMetricsIntervalMs,
                            String otlpHeadersFile, Mode tracing, double traceSamplingRatio,
                            Traceparent traceparent) {
    static final List<String> KEYS = List.of("otlp-endpoint", "otlp-timeout-ms", "otlp-metrics-interval-ms",
            "otlp-headers-file", "tracing", "trace-sampling-ratio", "traceparent");

    /** Whether requests are traced. */
    public enum Mode {
        ON, OFF;

        static Mode parse(String text) {
            return switch (text == null ? "" : text.trim().toLowerCase(Locale.ROOT)) {
                case "on" -> ON;
                case "off" -> OFF;
                default -> throw new ConfigException("tracing: '" + text + "' (expected: on or off)");
            };
        }

        String text() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** What a client's W3C trace context does: only linked ({@code restart}) or continued ({@code trust}). */
    public enum Traceparent {
        RESTART, TRUST;

        static Traceparent parse(String text) {
            return switch (text == null ? "" : text.trim().toLowerCase(Locale.ROOT)) {
                case "restart" -> RESTART;
                case "trust" -> TRUST;
                default -> throw new ConfigException("traceparent: '" + text + "' (expected: restart or trust)");
            };
        }

        String text() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public TracingConfig {
        if (otlpEndpoint == null) {
            throw new ConfigException("otlp-endpoint: missing (expected: an http(s) URL, or empty)");
        }
        if (!otlpEndpoint.isEmpty()) {
            checkEndpoint(otlpEndpoint);
        }
        if (otlpTimeoutMs < 1 || otlpTimeoutMs > 60_000) {
            throw new ConfigException("otlp-timeout-ms: " + otlpTimeoutMs + " (expected: 1..60000)");
        }
        if (otlpMetricsIntervalMs < 100 || otlpMetricsIntervalMs > 3_600_000) {
            throw new ConfigException("otlp-metrics-interval-ms: " + otlpMetricsIntervalMs
                    + " (expected: 100..3600000)");
        }
        if (otlpHeadersFile == null) {
            throw new ConfigException("otlp-headers-file: missing (expected: a file path, or empty)");
        }
        if (tracing == null) {
            throw new ConfigException("tracing: missing (expected: on or off)");
        }
        if (!(traceSamplingRatio >= 0 && traceSamplingRatio <= 1)) {
            throw new ConfigException("trace-sampling-ratio: " + traceSamplingRatio + " (expected: 0..1)");
        }
        if (traceparent == null) {
            throw new ConfigException("traceparent: missing (expected: restart or trust)");
        }
    }

    /** A base URL only: the exporters append {@code /v1/traces} and {@code /v1/metrics}. */
    private static void checkEndpoint(String endpoint) {
        String expected = " (expected: an http(s) base URL such as http://127.0.0.1:4318, or empty)";
        URI uri;
        try {
            uri = new URI(endpoint);
        } catch (URISyntaxException e) {
            // Echoed only up to a '?': a query or fragment may hold an API key.
            throw new ConfigException("otlp-endpoint: '" + upToQuery(endpoint) + "'" + expected);
        }
        if (uri.getRawUserInfo() != null) {
            // Not echoed: it may hold a password. Credentials belong in otlp-headers-file, which is never printed.
            throw new ConfigException("otlp-endpoint: user info in the URL (expected: no credentials in the URL; "
                    + "give an authorization header in otlp-headers-file)");
        }
        if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
            // Not echoed: a query is where vendors put API keys.
            throw new ConfigException("otlp-endpoint: a query or fragment in the URL (not shown; expected: a base URL "
                    + "without one; give credentials in otlp-headers-file)");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null) {
            throw new ConfigException("otlp-endpoint: '" + endpoint + "'" + expected);
        }
    }

    private static String upToQuery(String endpoint) {
        int cut = endpoint.length();
        for (char c : new char[] {'?', '#'}) {
            int at = endpoint.indexOf(c);
            cut = at >= 0 ? Math.min(cut, at) : cut;
        }
        return cut < endpoint.length() ? endpoint.substring(0, cut) + "?(not shown)" : endpoint;
    }

    static TracingConfig from(Map<String, String> raw, String source) {
        String ratio = raw.getOrDefault("trace-sampling-ratio", "1");
        double value;
        try {
            value = Double.parseDouble(ratio.trim());
        } catch (NumberFormatException e) {
            throw new ConfigException(source + ": trace-sampling-ratio: '" + ratio + "' (expected: a number 0..1)");
        }
        return new TracingConfig(raw.getOrDefault("otlp-endpoint", "").trim(),
                number(raw, source, "otlp-timeout-ms", 5_000),
                number(raw, source, "otlp-metrics-interval-ms", 60_000),
                raw.getOrDefault("otlp-headers-file", "").trim(),
                Mode.parse(raw.getOrDefault("tracing", "off")),
                value,
                Traceparent.parse(raw.getOrDefault("traceparent", "restart")));
    }

    private static long number(Map<String, String> raw, String source, String key, long fallback) {
        String text = raw.get(key);
        return text == null ? fallback : SluiceConfig.parseLong(source, key, text.trim());
    }

    /** Whether requests are traced. */
    public boolean tracingOn() {
        return tracing == Mode.ON;
    }

    /** Whether anything (traces, metrics) is exported over OTLP. */
    public boolean exporting() {
        return !otlpEndpoint.isEmpty();
    }

    /** Whether a client's {@code traceparent} is continued rather than only linked. */
    public boolean trustTraceparent() {
        return traceparent == Traceparent.TRUST;
    }

    Map<String, String> asMap() {
        return Map.of("otlp-endpoint", otlpEndpoint, "otlp-timeout-ms", Long.toString(otlpTimeoutMs),
                "otlp-metrics-interval-ms", Long.toString(otlpMetricsIntervalMs), "otlp-headers-file",
                otlpHeadersFile, "tracing", tracing.text(), "trace-sampling-ratio",
                Double.toString(traceSamplingRatio), "traceparent", traceparent.text());
    }
}
