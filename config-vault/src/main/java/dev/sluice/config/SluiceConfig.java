package dev.sluice.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * Every setting of a Sluice process, validated at load time: an unknown key, or a value of the wrong kind or out of
 * range, fails with a message naming the key and what was expected. Absent keys take the documented defaults (see
 * docs/configuration.md); {@link #KEYS} lists them all.
 *
 * @param host                   address the HTTP listener binds
 * @param port                   listener port; 0 picks a free one
 * @param dataDir                where tenants, key hashes and modules are kept
 * @param defaultRequestsPerSecond  a new tenant's rate quota unless the admin sets one
 * @param defaultBurst           a new tenant's burst
 * @param defaultMaxMemoryPages  a new tenant's memory cap per function (64 KiB pages)
 * @param defaultMaxTimeoutMs    a new tenant's longest invocation
 * @param defaultMaxModuleBytes  a new tenant's largest module
 * @param defaultMaxFuelPerCall  a new tenant's fuel budget per invocation (see docs/fuel.md)
 * @param defaultMaxConcurrency  a new tenant's in-flight invocations across gateways (0: unlimited)
 * @param defaultFuelPerDay      a new tenant's fuel per UTC day (0: unlimited)
 * @param defaultInvocationsPerMinute a new tenant's invocations per minute (0: unlimited)
 * @param defaultInvocationsPerDay    a new tenant's invocations per day (0: unlimited)
 * @param defaultMaxFunctions    a new tenant's number of functions (0: unlimited)
 * @param defaultMaxAssetBytes   a new tenant's largest asset archive per function (0: assets refused)
 * @param defaultMaxAssetFiles   a new tenant's most entries in one function's asset tree
 * @param defaultScratchBytes    a new tenant's bytes of {@code /tmp} per invocation (0: no {@code /tmp})
 * @param defaultScratchInodes   a new tenant's files and directories in {@code /tmp} per invocation
 * @param defaultTimeoutMs       a function's timeout when the deploy does not set one (capped by the tenant's max)
 * @param maxRequestBytes        largest invocation request body
 * @param maxStdoutBytes         largest response a function may write
 * @param maxStderrBytes         most a function may write to stderr
 * @param workers                platform threads running guest code (more than cores: the OS time-slices them)
 * @param tenantMaxConcurrency   invocations one tenant may run at once (0: a quarter of the workers, at least 1)
 * @param tenantQueue            invocations one tenant may have waiting for a worker
 * @param shutdownGraceMs        how long a stopping server lets in-flight invocations finish
 * @param compileBudgetMs        how long a deploy waits for compilation before answering (runs interpreted meanwhile)
 * @param stores                 where shared state lives (local by default; Redis for several gateways)
 * @param cluster                how gateways and workers find and trust each other (gateway and worker roles)
 * @param logLevel               the least severe log records written: {@code debug}, {@code info}, {@code warning}
 *                               or {@code error}
 * @param configPollMs           how often the configuration file and Vault are checked for changes
 * @param vault                  where Vault is and how to log in (none by default)
 * @param metrics                an optional management listener for {@code /metrics} (none by default)
 * @param tracing                traces and OTLP export (off by default)
 * @param logs                   the access log and the bounds of the tenant function logs
 */
public record SluiceConfig(String host, int port, Path dataDir, long defaultRequestsPerSecond, long defaultBurst,
                           int defaultMaxMemoryPages, long defaultMaxTimeoutMs, long defaultMaxModuleBytes,
                           long defaultMaxFuelPerCall, long defaultMaxConcurrency, long defaultFuelPerDay,
                           long defaultInvocationsPerMinute, long defaultInvocationsPerDay, long defaultMaxFunctions,
                           long defaultMaxAssetBytes, long defaultMaxAssetFiles, long defaultScratchBytes,
                           long defaultScratchInodes, long defaultTimeoutMs, long maxRequestBytes,
                           long maxStdoutBytes, long maxStderrBytes, int workers, int tenantMaxConcurrency,
                           int tenantQueue, long shutdownGraceMs, long compileBudgetMs, StoreConfig stores,
                           ClusterConfig cluster, String logLevel, long configPollMs, VaultConfig vault,
                           MetricsConfig metrics, TracingConfig tracing, LogsConfig logs) {

    /** Every key this configuration understands, in documentation order. */
    public static final List<String> KEYS = keys("host", "port", "data-dir", "default-requests-per-second",
            "default-burst", "default-max-memory-pages", "default-max-timeout-ms", "default-max-module-bytes",
            "default-max-fuel-per-call", "default-max-concurrency", "default-fuel-per-day",
            "default-invocations-per-minute", "default-invocations-per-day", "default-max-functions",
            "default-max-asset-bytes", "default-max-asset-files", "default-scratch-bytes", "default-scratch-inodes",
            "default-timeout-ms", "max-request-bytes", "max-stdout-bytes",
            "max-stderr-bytes", "workers", "tenant-max-concurrency", "tenant-queue", "shutdown-grace-ms", "compile-budget-ms",
            "log-level", "config-poll-ms");

    /**
     * The keys whose change applies while Sluice runs (see docs/configuration.md, "Live and restart-only keys"): read
     * per request or per use. A change to any other key is logged as needing a restart and not applied.
     */
    public static final List<String> LIVE_KEYS = List.of("default-requests-per-second", "default-burst",
            "default-max-memory-pages", "default-max-timeout-ms", "default-max-module-bytes",
            "default-max-fuel-per-call", "default-max-concurrency", "default-fuel-per-day",
            "default-invocations-per-minute", "default-invocations-per-day", "default-max-functions",
            "default-max-asset-bytes", "default-max-asset-files", "default-scratch-bytes", "default-scratch-inodes",
            "default-timeout-ms", "quota-fail-policy", "log-level", "config-poll-ms");

    /** The keys that say where Vault is and how to reach it: from the file (or code) only, never from Vault. */
    public static final List<String> BOOTSTRAP_KEYS = VaultConfig.KEYS;

    private static final List<String> LOG_LEVELS = List.of("debug", "info", "warning", "error");

    private static List<String> keys(String... own) {
        List<String> all = new ArrayList<>(List.of(own));
        all.addAll(StoreConfig.KEYS);
        all.addAll(ClusterConfig.KEYS);
        all.addAll(VaultConfig.KEYS);
        all.addAll(MetricsConfig.KEYS);
        all.addAll(TracingConfig.KEYS);
        all.addAll(LogsConfig.KEYS);
        return List.copyOf(all);
    }

    public SluiceConfig {
        if (host == null || host.isBlank()) {
            throw new ConfigException("host: '" + host + "' (expected: an address or host name)");
        }
        range("port", port, 0, 65535);
        if (dataDir == null) {
            throw new ConfigException("data-dir: missing (expected: a directory path)");
        }
        range("default-requests-per-second", defaultRequestsPerSecond, 1, 1_000_000);
        range("default-burst", defaultBurst, 1, 1_000_000);
        range("default-max-memory-pages", defaultMaxMemoryPages, 1, 65536);
        range("default-max-timeout-ms", defaultMaxTimeoutMs, 1, 3_600_000);
        range("default-max-module-bytes", defaultMaxModuleBytes, 8, 1L << 30);
        range("default-max-fuel-per-call", defaultMaxFuelPerCall, 1, 1_000_000_000_000_000L);
        range("default-max-concurrency", defaultMaxConcurrency, 0, 1_000_000);
        range("default-fuel-per-day", defaultFuelPerDay, 0, 1_000_000_000_000_000L);
        range("default-invocations-per-minute", defaultInvocationsPerMinute, 0, 1_000_000_000);
        range("default-invocations-per-day", defaultInvocationsPerDay, 0, 1_000_000_000_000L);
        range("default-max-functions", defaultMaxFunctions, 0, 1_000_000);
        range("default-max-asset-bytes", defaultMaxAssetBytes, 0, 1L << 30);
        range("default-max-asset-files", defaultMaxAssetFiles, 0, 100_000);
        range("default-scratch-bytes", defaultScratchBytes, 0, 256L << 20);
        range("default-scratch-inodes", defaultScratchInodes, 0, 100_000);
        range("default-timeout-ms", defaultTimeoutMs, 1, 3_600_000);
        range("max-request-bytes", maxRequestBytes, 0, 1L << 30);
        range("max-stdout-bytes", maxStdoutBytes, 1, 1L << 30);
        range("max-stderr-bytes", maxStderrBytes, 1, 1L << 30);
        range("workers", workers, 1, 4096);
        range("tenant-max-concurrency", tenantMaxConcurrency, 0, 4096);
        range("tenant-queue", tenantQueue, 1, 1_000_000);
        range("shutdown-grace-ms", shutdownGraceMs, 0, 3_600_000);
        range("compile-budget-ms", compileBudgetMs, 0, 3_600_000);
        if (stores == null) {
            throw new ConfigException("stores: missing");
        }
        if (cluster == null) {
            throw new ConfigException("cluster: missing");
        }
        if (!LOG_LEVELS.contains(logLevel)) {
            throw new ConfigException("log-level: '" + logLevel + "' (expected: debug or info or warning or error)");
        }
        range("config-poll-ms", configPollMs, 100, 3_600_000);
        if (vault == null) {
            throw new ConfigException("vault: missing");
        }
        if (metrics == null) {
            throw new ConfigException("metrics: missing");
        }
        if (tracing == null) {
            throw new ConfigException("tracing: missing");
        }
        if (logs == null) {
            throw new ConfigException("logs: missing");
        }
    }

    /** The embedded defaults: what {@code ./sluice serve} runs with when no file is given. */
    public static SluiceConfig defaults() {
        return from(ConfigSource.of("defaults", Map.of()));
    }

    /** Parses and validates every value of {@code source}; unknown keys are errors, not silently ignored. */
    public static SluiceConfig from(ConfigSource source) {
        Map<String, String> raw = source.values();
        Set<String> unknown = new TreeSet<>(raw.keySet());
        KEYS.forEach(unknown::remove);
        if (!unknown.isEmpty()) {
            throw new ConfigException(source.describe() + ": unknown key " + String.join(", ", unknown)
                    + " (known keys: " + String.join(", ", KEYS) + ")");
        }
        Values v = new Values(source.describe(), raw);
        int cores = Runtime.getRuntime().availableProcessors();
        return new SluiceConfig(
                v.get("host", "127.0.0.1", s -> s),
                v.integer("port", 8080),
                v.get("data-dir", Path.of("sluice-data"), Path::of),
                v.number("default-requests-per-second", 10),
                v.number("default-burst", 20),
                v.integer("default-max-memory-pages", 256),
                v.number("default-max-timeout-ms", 10_000),
                v.number("default-max-module-bytes", 16L << 20),
                v.number("default-max-fuel-per-call", 1_000_000_000L),
                v.number("default-max-concurrency", 0),
                v.number("default-fuel-per-day", 0),
                v.number("default-invocations-per-minute", 0),
                v.number("default-invocations-per-day", 0),
                v.number("default-max-functions", 0),
                v.number("default-max-asset-bytes", 0),
                v.number("default-max-asset-files", 1000),
                v.number("default-scratch-bytes", 1L << 20),
                v.number("default-scratch-inodes", 64),
                v.number("default-timeout-ms", 5_000),
                v.number("max-request-bytes", 1L << 20),
                v.number("max-stdout-bytes", 1L << 20),
                v.number("max-stderr-bytes", 64L << 10),
                v.integer("workers", Math.max(8, 4 * cores)),
                v.integer("tenant-max-concurrency", 0),
                v.integer("tenant-queue", 64),
                v.number("shutdown-grace-ms", 10_000),
                v.number("compile-budget-ms", 2_000),
                StoreConfig.from(raw, source.describe()),
                ClusterConfig.from(raw, source.describe()),
                v.get("log-level", "info", s -> s),
                v.number("config-poll-ms", 5_000),
                VaultConfig.from(raw, source.describe()),
                MetricsConfig.from(raw, source.describe()),
                TracingConfig.from(raw, source.describe()),
                LogsConfig.from(raw, source.describe()));
    }

    /**
     * Invocations one tenant may run at once, with 0 resolved to a quarter of the workers (at least 1): with the
     * default pool of four threads per core, one per core, so three tenants at their cap leave the scheduler's
     * reserve of a quarter free for the others (see docs/sandbox.md, "Sharing the workers").
     */
    public int effectiveTenantMaxConcurrency() {
        return tenantMaxConcurrency > 0 ? Math.min(tenantMaxConcurrency, workers) : Math.max(1, workers / 4);
    }

    /**
     * This configuration completed from the process's environment: {@code $SLUICE_REDIS_URI} when it sets no
     * {@code redis-uri} ({@link StoreConfig#withEnvironment}). Each role applies it once to the configuration it is
     * built from (file and Vault), so all of its Redis clients agree.
     */
    public SluiceConfig withEnvironment(Map<String, String> environment) {
        StoreConfig resolved = stores.withEnvironment(environment);
        if (resolved == stores) {
            return this;
        }
        return new SluiceConfig(host, port, dataDir, defaultRequestsPerSecond, defaultBurst, defaultMaxMemoryPages,
                defaultMaxTimeoutMs, defaultMaxModuleBytes, defaultMaxFuelPerCall, defaultMaxConcurrency,
                defaultFuelPerDay, defaultInvocationsPerMinute, defaultInvocationsPerDay, defaultMaxFunctions,
                defaultMaxAssetBytes, defaultMaxAssetFiles, defaultScratchBytes, defaultScratchInodes,
                defaultTimeoutMs, maxRequestBytes, maxStdoutBytes, maxStderrBytes, workers, tenantMaxConcurrency,
                tenantQueue, shutdownGraceMs, compileBudgetMs, resolved, cluster, logLevel, configPollMs, vault,
                metrics, tracing, logs);
    }

    /** The same configuration with other values for some keys; used by tests and by code-built servers. */
    public SluiceConfig with(Map<String, String> overrides) {
        Map<String, String> merged = new HashMap<>(asMap());
        merged.putAll(overrides);
        return from(ConfigSource.of("overrides", merged));
    }

    /** Every key with its value here, as a source would give it (the worker secret included: never log this). */
    public Map<String, String> asMap() {
        List<Object> values = new ArrayList<>(List.of(host, port, dataDir, defaultRequestsPerSecond, defaultBurst,
                defaultMaxMemoryPages, defaultMaxTimeoutMs, defaultMaxModuleBytes, defaultMaxFuelPerCall,
                defaultMaxConcurrency, defaultFuelPerDay, defaultInvocationsPerMinute, defaultInvocationsPerDay,
                defaultMaxFunctions, defaultMaxAssetBytes, defaultMaxAssetFiles, defaultScratchBytes,
                defaultScratchInodes, defaultTimeoutMs, maxRequestBytes, maxStdoutBytes, maxStderrBytes, workers,
                tenantMaxConcurrency, tenantQueue, shutdownGraceMs, compileBudgetMs, logLevel, configPollMs));
        Map<String, String> map = new HashMap<>(stores.asMap());
        map.putAll(cluster.asMap());
        map.putAll(vault.asMap());
        map.putAll(metrics.asMap());
        map.putAll(tracing.asMap());
        map.putAll(logs.asMap());
        for (int i = 0; i < values.size(); i++) {
            map.put(KEYS.get(i), String.valueOf(values.get(i)));
        }
        return map;
    }

    static long parseLong(String source, String key, String text) {
        try {
            return Long.parseLong(text.replace("_", ""));
        } catch (NumberFormatException e) {
            throw new ConfigException(source + ": " + key + ": '" + text + "' (expected: an integer)");
        }
    }

    private static void range(String key, long value, long min, long max) {
        if (value < min || value > max) {
            throw new ConfigException(key + ": " + value + " (expected: " + min + ".." + max + ")");
        }
    }

    /** Raw values with typed, key-naming parsing. */
    private record Values(String source, Map<String, String> raw) {
        <T> T get(String key, T fallback, Function<String, T> parse) {
            String value = raw.get(key);
            return value == null ? fallback : parse.apply(value);
        }

        long number(String key, long fallback) {
            return get(key, fallback, s -> parseLong(key, s));
        }

        int integer(String key, int fallback) {
            long value = number(key, fallback);
            if (value != (int) value) {
                throw new ConfigException(source + ": " + key + ": " + value + " (expected: a 32-bit integer)");
            }
            return (int) value;
        }

        private long parseLong(String key, String text) {
            return SluiceConfig.parseLong(source, key, text);
        }
    }
}
