package dev.sluice.tenancy;

import java.time.Duration;
import java.util.Objects;

/**
 * How to reach the shared Redis. {@code uri} is a Lettuce Redis URI: {@code redis://[user:password@]host:port/db},
 * {@code rediss://} for TLS, {@code redis-sentinel://host:port,host:port/db#master} for Sentinel; {@code cluster}
 * selects Redis Cluster addressing for the same URI's seed node.
 *
 * @param commandTimeout bound on every quota command: past it the store counts as unavailable
 * @param failPolicy     default policy when Redis is unavailable (tenants or plans may override it)
 * @param replicas       number of gateway replicas; a fail-open fallback admits 1/replicas of each quota
 * @param keyPrefix      prefix of every Redis key, so several Sluice installations can share one Redis
 */
public record RedisSettings(String uri, boolean cluster, Duration commandTimeout, FailPolicy failPolicy,
                            int replicas, String keyPrefix) {
    public RedisSettings {
        Objects.requireNonNull(uri, "uri");
        Objects.requireNonNull(commandTimeout, "commandTimeout");
        Objects.requireNonNull(failPolicy, "failPolicy");
        Objects.requireNonNull(keyPrefix, "keyPrefix");
        if (commandTimeout.isNegative() || commandTimeout.isZero()) {
            throw new TenancyException.InvalidInput("redis-timeout-ms: " + commandTimeout.toMillis()
                    + " (expected: > 0)");
        }
        if (replicas <= 0) {
            throw new TenancyException.InvalidInput("quota-replicas: " + replicas + " (expected: > 0)");
        }
    }

    @Override
    public String toString() {
        // The URI may carry a password: never print it.
        return "RedisSettings[uri=" + uri.replaceAll("//[^@/]*@", "//***@") + ", cluster=" + cluster
                + ", commandTimeout=" + commandTimeout + ", failPolicy=" + failPolicy + ", replicas=" + replicas
                + ", keyPrefix=" + keyPrefix + "]";
    }
}
