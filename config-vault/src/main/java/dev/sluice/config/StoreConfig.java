package dev.sluice.config;

import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Where shared state lives. The embedded default keeps everything in the process and its data directory; a
 * deployment of several gateways points quotas (and tenants, plans and keys) at one Redis, with no code change.
 *
 * @param quotaStore      {@code local} or {@code redis}: where rate, concurrency, fuel-budget and usage counters live
 * @param tenancyStore    {@code file} or {@code redis}: where tenants, plans and key hashes live
 * @param redisUri        Lettuce URI ({@code redis://}, {@code rediss://} for TLS, {@code redis-sentinel://});
 *                        credentials may be part of it, so it is never logged
 * @param redisCluster    address the URI's node as a Redis Cluster seed
 * @param redisTimeoutMs  bound on every Redis command; past it the store counts as unavailable
 * @param redisKeyPrefix  prefix of every Redis key
 * @param quotaFailPolicy {@code fail-open} or {@code fail-closed}, when Redis is unavailable
 * @param quotaReplicas   how many gateways share the quotas; a fail-open fallback admits 1/replicas of each
 */
public record StoreConfig(String quotaStore, String tenancyStore, String redisUri, boolean redisCluster,
                          long redisTimeoutMs, String redisKeyPrefix, String quotaFailPolicy, int quotaReplicas) {

    static final List<String> KEYS = List.of("quota-store", "tenancy-store", "redis-uri", "redis-cluster",
            "redis-timeout-ms", "redis-key-prefix", "quota-fail-policy", "quota-replicas");
    private static final Pattern REDIS_URI = Pattern.compile("(redis|rediss|redis-sentinel|rediss-sentinel)://.+");

    public StoreConfig {
        oneOf("quota-store", quotaStore, "local", "redis");
        oneOf("tenancy-store", tenancyStore, "file", "redis");
        oneOf("quota-fail-policy", quotaFailPolicy, "fail-open", "fail-closed");
        if (redisUri == null || !REDIS_URI.matcher(redisUri).matches()) {
            throw new ConfigException("redis-uri: '" + redacted(redisUri)
                    + "' (expected: redis://host:port, rediss://… for TLS, or redis-sentinel://…)");
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
    }

    static StoreConfig from(Map<String, String> raw, String source) {
        return new StoreConfig(
                raw.getOrDefault("quota-store", "local"),
                raw.getOrDefault("tenancy-store", "file"),
                raw.getOrDefault("redis-uri", "redis://127.0.0.1:6379"),
                bool(raw, "redis-cluster", source),
                SluiceConfig.parseLong(source, "redis-timeout-ms", raw.getOrDefault("redis-timeout-ms", "50")),
                raw.getOrDefault("redis-key-prefix", "sluice:"),
                raw.getOrDefault("quota-fail-policy", "fail-open"),
                (int) Math.min(Integer.MAX_VALUE,
                        SluiceConfig.parseLong(source, "quota-replicas", raw.getOrDefault("quota-replicas", "1"))));
    }

    Map<String, String> asMap() {
        return Map.of("quota-store", quotaStore, "tenancy-store", tenancyStore, "redis-uri", redisUri,
                "redis-cluster", Boolean.toString(redisCluster), "redis-timeout-ms", Long.toString(redisTimeoutMs),
                "redis-key-prefix", redisKeyPrefix, "quota-fail-policy", quotaFailPolicy,
                "quota-replicas", Integer.toString(quotaReplicas));
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
                + redacted(redisUri) + ", redis-cluster=" + redisCluster + ", redis-timeout-ms=" + redisTimeoutMs
                + ", redis-key-prefix=" + redisKeyPrefix + ", quota-fail-policy=" + quotaFailPolicy
                + ", quota-replicas=" + quotaReplicas + "]";
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
