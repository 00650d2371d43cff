package dev.sluice.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The tracing and OTLP keys: off by default, settable from a map like any key, refused with a message naming it. */
class TracingConfigTest {
    private static String refusal(Map<String, String> overrides) {
        return assertThrows(ConfigException.class, () -> SluiceConfig.defaults().with(overrides)).getMessage();
    }

    @Test
    void offByDefaultWithNoExportAndTheClientsContextOnlyLinked() {
        TracingConfig tracing = SluiceConfig.defaults().tracing();
        assertFalse(tracing.tracingOn());
        assertFalse(tracing.exporting());
        assertFalse(tracing.trustTraceparent());
        assertEquals(1.0, tracing.traceSamplingRatio());
        assertEquals(60_000, tracing.otlpMetricsIntervalMs());
    }

    @Test
    void anInProcessSluiceCanBeGivenTracingInItsConfigMap() {
        SluiceConfig config = SluiceConfig.defaults().with(Map.of("tracing", "on", "trace-sampling-ratio", "0.25",
                "otlp-endpoint", "http://127.0.0.1:4318", "traceparent", "trust", "otlp-timeout-ms", "2000"));
        TracingConfig tracing = config.tracing();
        assertTrue(tracing.tracingOn());
        assertTrue(tracing.exporting());
        assertTrue(tracing.trustTraceparent());
        assertEquals(0.25, tracing.traceSamplingRatio());
        assertEquals(2000, tracing.otlpTimeoutMs());
        assertEquals(config, SluiceConfig.defaults().with(config.asMap()), "asMap round-trips");
    }

    @Test
    void aMissingModeIsAConfigExceptionNotANullPointer() {
        assertEquals("tracing: missing (expected: on or off)", assertThrows(ConfigException.class,
                () -> new TracingConfig("", 1000, 1000, "", null, 1, TracingConfig.Traceparent.RESTART))
                .getMessage());
        assertEquals("traceparent: missing (expected: restart or trust)", assertThrows(ConfigException.class,
                () -> new TracingConfig("", 1000, 1000, "", TracingConfig.Mode.ON, 1, null)).getMessage());
    }

    @Test
    void badValuesAreRefusedNamingTheKey() {
        assertEquals("tracing: 'maybe' (expected: on or off)", refusal(Map.of("tracing", "maybe")));
        assertEquals("trace-sampling-ratio: 1.5 (expected: 0..1)", refusal(Map.of("trace-sampling-ratio", "1.5")));
        assertEquals("trace-sampling-ratio: NaN (expected: 0..1)", refusal(Map.of("trace-sampling-ratio", "NaN")));
        assertTrue(refusal(Map.of("trace-sampling-ratio", "half")).endsWith(
                "trace-sampling-ratio: 'half' (expected: a number 0..1)"));
        assertEquals("traceparent: 'obey' (expected: restart or trust)", refusal(Map.of("traceparent", "obey")));
        assertEquals("otlp-timeout-ms: 0 (expected: 1..60000)", refusal(Map.of("otlp-timeout-ms", "0")));
        assertEquals("otlp-metrics-interval-ms: 10 (expected: 100..3600000)",
                refusal(Map.of("otlp-metrics-interval-ms", "10")));
        for (String endpoint : java.util.List.of("127.0.0.1:4318", "ftp://collector", "http://")) {
            assertTrue(refusal(Map.of("otlp-endpoint", endpoint)).startsWith("otlp-endpoint: '"), endpoint);
        }
        String credentials = refusal(Map.of("otlp-endpoint", "http://user:pw-7x@collector:4318"));
        assertTrue(credentials.startsWith("otlp-endpoint: user info in the URL"), credentials);
        assertFalse(credentials.contains("pw-7x"), "the password is not echoed: " + credentials);
        String query = refusal(Map.of("otlp-endpoint", "https://vendor.example/?api-key=k3y-8z"));
        assertTrue(query.startsWith("otlp-endpoint: a query or fragment in the URL (not shown"), query);
        assertFalse(query.contains("k3y-8z"), "the query is not echoed: " + query);
        String unparsable = refusal(Map.of("otlp-endpoint", "http://bad host/?api-key=k3y-8z"));
        assertFalse(unparsable.contains("k3y-8z"), "the query is not echoed: " + unparsable);
    }
}
