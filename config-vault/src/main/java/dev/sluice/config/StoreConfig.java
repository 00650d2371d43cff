package dev.sluice.config;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Where shared state lives. The embedded default keeps everything in the process and its data directory; a
 * deployment of several gateways points quotas (and tenants, plans and keys) at one Redis, with no code change.
 *
 * @param quotaStore      {@code local} or {@code redis}: where rate, concurrency, fuel-budget and usage counters live
 * @param tenancyStore    {@code file} or {@code redis}: where tenants, plans and key hashes live
 * @param redisUri        Lettuce URI ({@code redis://}, {@code rediss://} for TLS, {@code redis-sentinel://});
 *                        credentials may be part of it, so it is never logged. Empty when the configuration sets
 *                        none: a process then takes {@code $SLUICE_REDIS_URI} ({@link #withEnvironment}), else
 *                        {@link #DEFAULT_REDIS_URI} ({@link #effectiveRedisUri})
 * @param redisCluster    address the URI's node as a Redis Cluster seed
 * @param redisTimeoutMs  bound on every Redis command; past it the call counts as failed (the breaker decides when
 *                        the store counts as unavailable)
 * @param redisKeyPrefix  prefix of every Redis key
 * @param quotaFailPolicy {@code fail-open} or {@code fail-closed}, when Redis is unavailable
 * @param quotaReplicas   how many gateways share the quotas; a fail-open fallback admits 1/replicas of each
 * @param redisConnectTimeoutMs      bound on opening a Redis connection (TCP and handshake), apart from commands
 * @param redisBreakerMinFailures    failed Redis calls within the window before the gateway stops asking Redis
 * @param redisBreakerFailurePercent ...and the share of the window's calls they must be
 * @param redisBreakerWindowMs       the window the breaker counts calls and failures in
 * @param redisBreakerOpenMs         how long the gateway stops asking Redis before probing it again
 */
public record StoreConfig(String quotaStore, String tenancyStore, String redisUri, boolean redisCluster,
                          long redisTimeoutMs, String redisKeyPrefix, String quotaFailPolicy, int quotaReplicas,
                          long redisConnectTimeoutMs, int redisBreakerMinFailures, int redisBreakerFailurePercent,
                          long redisBreakerWindowMs, long redisBreakerOpenMs) {

    static final List<String> KEYS = List.of("quota-store", "tenancy-store", "redis-uri", "redis-cluster",
            "redis-timeout-ms", "redis-key-prefix", "quota-fail-policy", "quota-replicas",
            "redis-connect-timeout-ms", "redis-breaker-min-failures", "redis-breaker-failure-percent",
            "redis-breaker-window-ms", "redis-breaker-open-ms");
    /** Where Redis is when neither the configuration nor the environment says. */
    public static final String DEFAULT_REDIS_URI = "redis://127.0.0.1:6379";
    /**
     * The environment variable that gives {@code redis-uri} when the configuration (file or Vault) has none, so a
     * password need not sit in a file (a Kubernetes Secret, say); the configuration wins.
     */
    public static final String REDIS_URI_ENV = "SLUICE_REDIS_URI";
    private static final Pattern REDIS_URI = Pattern.compile("(redis|rediss|redis-sentinel|rediss-sentinel)://.+");
    private static final String EXPECTED_URI = "redis://host:port, rediss://… for TLS, or redis-sentinel://…";

    public StoreConfig {
        oneOf("quota-store", quotaStore, "local", "redis");
        oneOf("tenancy-store", tenancyStore, "file", "redis");
        oneOf("quota-fail-policy", quotaFailPolicy, "fail-open", "fail-closed");
        if (redisUri == null || !redisUri.isEmpty() && !REDIS_URI.matcher(redisUri).matches()) {
            throw new ConfigException("redis-uri: '" + redacted(redisUri) + "' (expected: " + EXPECTED_URI + ")");
        }
        if (redisTimeoutMs < 1 || redisTimeoutMs > 60_000) {
            throw new ConfigException("redis-timeout-ms: " + redisTimeoutMs + " (expected: 1..60000)");
        }
        if (redisKeyPrefix == null || !redisKeyPrefix.matches("[A-Za-z0-9:_.-]{0,64}")) {
            throw new ConfigException("redis-key-prefix: '" + redisKeyPrefix
                    + "' (expected: up to 64 of A-Z a-z 0-9 : _ . -)");
        }
        if (quotaReplicas < 1 || quotaReplicas > 10_000) {
            throw new ConfigException("quota-replicas: " + quotaReplicas + " (expected: 1..10000)");
        }
        range("redis-connect-timeout-ms", redisConnectTimeoutMs, 1, 600_000);
        range("redis-breaker-min-failures", redisBreakerMinFailures, 1, 1_000_000);
        range("redis-breaker-failure-percent", redisBreakerFailurePercent, 1, 100);
        range("redis-breaker-window-ms", redisBreakerWindowMs, 10, 3_600_000);
        range("redis-breaker-open-ms", redisBreakerOpenMs, 1, 3_600_000);
    }

    private static void range(String key, long value, long min, long max) {
        if (value < min || value > max) {
            throw new ConfigException(key + ": " + value + " (expected: " + min + ".." + max + ")");
        }
    }

    static StoreConfig from(Map<String, String> raw, String source) {
        return new StoreConfig(
                raw.getOrDefault("quota-store", "local"),
                raw.getOrDefault("tenancy-store", "file"),
                Optional.ofNullable(raw.get("redis-uri")).orElse(""),
                bool(raw, "redis-cluster", source),
                SluiceConfig.parseLong(source, "redis-timeout-ms", raw.getOrDefault("redis-timeout-ms", "1000")),
                raw.getOrDefault("redis-key-prefix", "sluice:"),
                raw.getOrDefault("quota-fail-policy", "fail-open"),
                (int) Math.min(Integer.MAX_VALUE,
                        SluiceConfig.parseLong(source, "quota-replicas", raw.getOrDefault("quota-replicas", "1"))),
                number(raw, source, "redis-connect-timeout-ms", 2_000),
                (int) number(raw, source, "redis-breaker-min-failures", 5),
                (int) number(raw, source, "redis-breaker-failure-percent", 50),
                number(raw, source, "redis-breaker-window-ms", 10_000),
                number(raw, source, "redis-breaker-open-ms", 1_000));
    }

    /**
     * This configuration with {@code $SLUICE_REDIS_URI} as {@code redis-uri} when it sets none; itself when it sets
     * one (the configuration wins) or the variable is unset or empty. The same rule as {@code worker-secret} and
     * {@code $SLUICE_WORKER_SECRET} ({@link ClusterConfig#requireSecret}). Every role applies it once, to the
     * configuration it is built from, so every Redis client of the process (tenancy, quotas, functions, discovery)
     * reads the same URI.
     *
     * @throws ConfigException naming the variable when its value is not a Redis URI; the value is not shown, since it
     *                         may hold a password
     */
    public StoreConfig withEnvironment(Map<String, String> environment) {
        String fromEnv = environment.getOrDefault(REDIS_URI_ENV, "");
        if (!redisUri.isEmpty() || fromEnv.isEmpty()) {
            return this;
        }
        if (!REDIS_URI.matcher(fromEnv).matches()) {
            throw new ConfigException("$" + REDIS_URI_ENV + ": not a Redis URI (expected: " + EXPECTED_URI
                    + "; the value is not shown, it may hold a password)");
        }
        return new StoreConfig(quotaStore, tenancyStore, fromEnv, redisCluster, redisTimeoutMs, redisKeyPrefix,
                quotaFailPolicy, quotaReplicas, redisConnectTimeoutMs, redisBreakerMinFailures,
                redisBreakerFailurePercent, redisBreakerWindowMs, redisBreakerOpenMs);
    }

    /** The URI to connect to: {@code redis-uri}, else {@link #DEFAULT_REDIS_URI}. */
    public String effectiveRedisUri() {
        return redisUri.isEmpty() ? DEFAULT_REDIS_URI : redisUri;
    }

    /** A number clamped into int range first, so an overlong value fails the range check naming its key. */
    private static long number(Map<String, String> raw, String source, String key, long fallback) {
        String text = raw.get(key);
        long value = text == null ? fallback : SluiceConfig.parseLong(source, key, text);
        return Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, value));
    }

    Map<String, String> asMap() {
        Map<String, String> map = new java.util.HashMap<>(Map.of("quota-store", quotaStore, "tenancy-store",
                tenancyStore, "redis-cluster", Boolean.toString(redisCluster), "redis-timeout-ms", Long.toString(redisTimeoutMs),
                "redis-key-prefix", redisKeyPrefix, "quota-fail-policy", quotaFailPolicy,
                "quota-replicas", Integer.toString(quotaReplicas)));
        map.putAll(Map.of("redis-connect-timeout-ms", Long.toString(redisConnectTimeoutMs),
                "redis-breaker-min-failures", Integer.toString(redisBreakerMinFailures),
                "redis-breaker-failure-percent", Integer.toString(redisBreakerFailurePercent),
                "redis-breaker-window-ms", Long.toString(redisBreakerWindowMs),
                "redis-breaker-open-ms", Long.toString(redisBreakerOpenMs)));
        if (!redisUri.isEmpty()) {
            map.put("redis-uri", redisUri); // like worker-secret: absent when unset, so a source can tell
        }
        return map;
    }

    public boolean sharedQuotas() {
        return quotaStore.equals("redis");
    }

    public boolean sharedTenancy() {
        return tenancyStore.equals("redis");
    }

    @Override
    public String toString() {
        return "StoreConfig[quota-store=" + quotaStore + ", tenancy-store=" + tenancyStore + ", redis-uri="
                + redacted(effectiveRedisUri()) + ", redis-cluster=" + redisCluster + ", redis-timeout-ms=" + redisTimeoutMs
                + ", redis-key-prefix=" + redisKeyPrefix + ", quota-fail-policy=" + quotaFailPolicy
                + ", quota-replicas=" + quotaReplicas + ", redis-connect-timeout-ms=" + redisConnectTimeoutMs
                + ", redis-breaker-min-failures=" + redisBreakerMinFailures + ", redis-breaker-failure-percent="
                + redisBreakerFailurePercent + ", redis-breaker-window-ms=" + redisBreakerWindowMs
                + ", redis-breaker-open-ms=" + redisBreakerOpenMs + "]";
    }

    /** The URI without its credentials, for messages. */
    static String redacted(String uri) {
        return uri == null ? null : uri.replaceAll("//[^@/]*@", "//***@");
    }

    private static boolean bool(Map<String, String> raw, String key, String source) {
        String value = raw.getOrDefault(key, "false");
        return switch (value) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new ConfigException(source + ": " + key + ": '" + value + "' (expected: true or false)");
        };
    }

    private static void oneOf(String key, String value, String... allowed) {
        if (!List.of(allowed).contains(value)) {
            throw new ConfigException(key + ": '" + value + "' (expected: " + String.join(" or ", allowed) + ")");
        }
    }
}
