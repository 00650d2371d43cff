package dev.sluice.tenancy.redis;

import dev.sluice.config.CallListener;
import dev.sluice.tenancy.TenancyException;
import dev.sluice.tenancy.quota.BreakerSettings;
import dev.sluice.tenancy.quota.FailPolicy;

import java.time.Duration;
import java.util.Objects;

/**
 * How to reach the shared Redis. {@code uri} is a Lettuce Redis URI: {@code redis://[user:password@]host:port/db},
 * {@code rediss://} for TLS, {@code redis-sentinel://host:port,host:port/db#master} for Sentinel; {@code cluster}
 * selects Redis Cluster addressing for the same URI's seed node.
 *
 * @param commandTimeout bound on every quota command: past it the call counts as failed (see {@code breaker})
 * @param failPolicy     default policy when Redis is unavailable (tenants or plans may override it)
 * @param replicas       number of gateway replicas; a fail-open fallback admits 1/replicas of each quota
 * @param keyPrefix      prefix of every Redis key, so several Sluice installations can share one Redis
 * @param connectTimeout bound on opening a connection (TCP connect and the Redis handshake), kept apart from the
 *                       command timeout: a JVM still warming up may need far longer to connect than Redis needs to
 *                       answer a command
 * @param breaker        when a failure rate makes the gateway stop asking Redis for a while
 * @param calls          told of every command's duration or failure (metrics); none by default
 */
public record RedisSettings(String uri, boolean cluster, Duration commandTimeout, FailPolicy failPolicy,
                            int replicas, String keyPrefix, Duration connectTimeout, BreakerSettings breaker,
                            CallListener calls) {
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(2);

    public RedisSettings {
        Objects.requireNonNull(uri, "uri");
        Objects.requireNonNull(commandTimeout, "commandTimeout");
        Objects.requireNonNull(failPolicy, "failPolicy");
        Objects.requireNonNull(keyPrefix, "keyPrefix");
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(breaker, "breaker");
        Objects.requireNonNull(calls, "calls");
        if (commandTimeout.isNegative() || commandTimeout.isZero()) {
            throw new TenancyException.InvalidInput("redis-timeout-ms: " + commandTimeout.toMillis()
                    + " (expected: > 0)");
        }
        if (connectTimeout.isNegative() || connectTimeout.isZero()) {
            throw new TenancyException.InvalidInput("redis-connect-timeout-ms: " + connectTimeout.toMillis()
                    + " (expected: > 0)");
        }
        if (replicas <= 0) {
            throw new TenancyException.InvalidInput("quota-replicas: " + replicas + " (expected: > 0)");
        }
    }

    /** The default connect timeout and breaker. */
    public RedisSettings(String uri, boolean cluster, Duration commandTimeout, FailPolicy failPolicy, int replicas,
                         String keyPrefix) {
        this(uri, cluster, commandTimeout, failPolicy, replicas, keyPrefix, DEFAULT_CONNECT_TIMEOUT,
                BreakerSettings.DEFAULTS, CallListener.NONE);
    }

    public RedisSettings withConnectTimeout(Duration connectTimeout) {
        return new RedisSettings(uri, cluster, commandTimeout, failPolicy, replicas, keyPrefix, connectTimeout,
                breaker, calls);
    }

    public RedisSettings withBreaker(BreakerSettings breaker) {
        return new RedisSettings(uri, cluster, commandTimeout, failPolicy, replicas, keyPrefix, connectTimeout,
                breaker, calls);
    }

    public RedisSettings withCalls(CallListener calls) {
        return new RedisSettings(uri, cluster, commandTimeout, failPolicy, replicas, keyPrefix, connectTimeout,
                breaker, calls);
    }

    /** The URI with any user and password replaced by {@code ***}, for messages and logs. */
    String redactedUri() {
        return uri.replaceAll("//[^@/]*@", "//***@");
    }

    @Override
    public String toString() {
        // The URI may carry a password: never print it.
        return "RedisSettings[uri=" + redactedUri() + ", cluster=" + cluster
                + ", commandTimeout=" + commandTimeout + ", failPolicy=" + failPolicy + ", replicas=" + replicas
                + ", keyPrefix=" + keyPrefix + ", connectTimeout=" + connectTimeout + ", breaker=" + breaker + "]";
    }
}
