package dev.sluice.config;

import java.util.List;
import java.util.Map;

/**
 * Where {@code /metrics} is served besides the main port (behind the admin token there): an optional management
 * listener without authentication, for a Prometheus that scrapes over a private network. Off by default.
 *
 * @param metricsHost address the management listener binds (loopback by default: unauthenticated)
 * @param metricsPort the management listener's port; 0: no management listener
 */
public record MetricsConfig(String metricsHost, int metricsPort) {
    static final List<String> KEYS = List.of("metrics-host", "metrics-port");

    public MetricsConfig {
        if (metricsHost == null || metricsHost.isBlank()) {
            throw new ConfigException("metrics-host: '" + metricsHost + "' (expected: an address or host name)");
        }
        if (metricsPort < 0 || metricsPort > 65535) {
            throw new ConfigException("metrics-port: " + metricsPort + " (expected: 0..65535)");
        }
    }

    static MetricsConfig from(Map<String, String> raw, String source) {
        String port = raw.get("metrics-port");
        long value = port == null ? 0 : SluiceConfig.parseLong(source, "metrics-port", port);
        if (value != (int) value) {
            throw new ConfigException(source + ": metrics-port: " + value + " (expected: 0..65535)");
        }
        return new MetricsConfig(raw.getOrDefault("metrics-host", "127.0.0.1"), (int) value);
    }

    /** Whether a management listener is configured. */
    public boolean enabled() {
        return metricsPort > 0;
    }

    Map<String, String> asMap() {
        return Map.of("metrics-host", metricsHost, "metrics-port", Integer.toString(metricsPort));
    }
}
