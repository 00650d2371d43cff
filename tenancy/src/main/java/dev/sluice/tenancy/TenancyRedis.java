package dev.sluice.tenancy;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.Delay;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * The one Redis connection the tenancy stores share, and the only place Lettuce types appear. Every key starts with
 * {@code <key-prefix>{tenancy}:}; the hash tag puts all tenancy keys in one cluster slot, so the multi-key scripts
 * that keep indexes consistent are atomic on Redis Cluster too. Every command is bounded by the command timeout;
 * failures become {@link TenancyException.StoreUnavailable} (no answer) or {@link TenancyException.StorageFailure}
 * (Redis answered with an error). Thread-safe: Lettuce multiplexes one connection.
 */
final class TenancyRedis implements AutoCloseable {
    private final ClientResources resources;
    private final AbstractRedisClient client;
    private final StatefulConnection<String, String> connection;
    private final RedisClusterCommands<String, String> sync;
    private final RedisClusterAsyncCommands<String, String> async;
    private final String base;
    private final Duration timeout;
    /**
     * After Redis failed to answer, calls fail at once until this nanoTime instead of each waiting out the timeout:
     * readers then fall back to their stale entries without delay, and one call per interval probes Redis again.
     */
    private final AtomicLong unavailableUntil = new AtomicLong(System.nanoTime());
    private volatile boolean failing;
    static final Duration PROBE_INTERVAL = Duration.ofSeconds(1);

    private TenancyRedis(ClientResources resources, AbstractRedisClient client,
                         StatefulConnection<String, String> connection, RedisClusterCommands<String, String> sync,
                         RedisClusterAsyncCommands<String, String> async, String base, Duration timeout) {
        this.resources = resources;
        this.client = client;
        this.connection = connection;
        this.sync = sync;
        this.async = async;
        this.base = base;
        this.timeout = timeout;
    }

    static TenancyRedis connect(RedisSettings settings) {
        RedisURI uri;
        try {
            uri = RedisURI.create(settings.uri());
        } catch (IllegalArgumentException e) {
            // The URI may hold a password: RedisSettings.toString redacts it, the exception's message may not.
            throw new TenancyException.InvalidInput("redis-uri: not a Redis URI (expected: redis://, rediss:// or"
                    + " redis-sentinel://...; " + settings + ")");
        }
        Duration timeout = settings.commandTimeout();
        uri.setTimeout(timeout);
        // Reconnect quickly once Redis is back: the default backoff grows to 30 s, during which every request fails.
        ClientResources resources = DefaultClientResources.builder()
                .ioThreadPoolSize(2)
                .computationThreadPoolSize(2)
                .reconnectDelay(Delay.exponential(Duration.ofMillis(10), Duration.ofSeconds(1), 2,
                        TimeUnit.MILLISECONDS))
                .build();
        SocketOptions socket = SocketOptions.builder()
                .connectTimeout(timeout.compareTo(Duration.ofSeconds(1)) > 0 ? timeout : Duration.ofSeconds(1))
                .build();
        TimeoutOptions timeouts = TimeoutOptions.enabled(timeout);
        AbstractRedisClient client = null;
        try {
            String base = settings.keyPrefix() + "{tenancy}:";
            if (settings.cluster()) {
                RedisClusterClient cluster = RedisClusterClient.create(resources, uri);
                client = cluster;
                cluster.setOptions(ClusterClientOptions.builder().socketOptions(socket).timeoutOptions(timeouts)
                        .build());
                StatefulRedisClusterConnection<String, String> c = cluster.connect();
                return new TenancyRedis(resources, cluster, c, c.sync(), c.async(), base, timeout);
            }
            RedisClient standalone = RedisClient.create(resources, uri);
            client = standalone;
            standalone.setOptions(ClientOptions.builder().socketOptions(socket).timeoutOptions(timeouts).build());
            StatefulRedisConnection<String, String> c = standalone.connect();
            return new TenancyRedis(resources, standalone, c, c.sync(), c.async(), base, timeout);
        } catch (RedisException e) {
            if (client != null) {
                client.shutdown();
            }
            resources.shutdown();
            throw new TenancyException.StoreUnavailable("tenancy store: cannot connect to Redis ("
                    + settings + "): " + e.getMessage(), e);
        }
    }

    /** A full key name: {@code <prefix>{tenancy}:<kind>:<name>}, or {@code <prefix>{tenancy}:<kind>} for indexes. */
    String key(String kind, String name) {
        return base + kind + ":" + name;
    }

    String key(String kind) {
        return base + kind;
    }

    /** The common start of every key, for scripts that derive key names from ids. */
    String base() {
        return base;
    }

    /** Runs commands, turning Redis failures into tenancy's. */
    <T> T call(String what, Function<RedisClusterCommands<String, String>, T> commands) {
        long now = System.nanoTime();
        long until = unavailableUntil.get();
        boolean skip = now - until < 0
                // Past the interval while failing: exactly one caller (the one that moves the window) probes.
                || (failing && !unavailableUntil.compareAndSet(until, now + PROBE_INTERVAL.toNanos()));
        if (skip) {
            throw new TenancyException.StoreUnavailable("tenancy store: Redis unavailable (retried at most every "
                    + PROBE_INTERVAL.toMillis() + " ms)", null);
        }
        try {
            T result = commands.apply(sync);
            if (failing) {
                failing = false;
                unavailableUntil.set(System.nanoTime());
            }
            return result;
        } catch (RedisCommandExecutionException e) {
            throw new TenancyException.StorageFailure("tenancy store: Redis refused " + what + ": " + e.getMessage(),
                    e);
        } catch (RedisCommandTimeoutException e) {
            markFailing();
            throw new TenancyException.StoreUnavailable("tenancy store: Redis did not answer " + what + " within "
                    + timeout.toMillis() + " ms", e);
        } catch (RedisException e) {
            markFailing();
            throw new TenancyException.StoreUnavailable("tenancy store: Redis unavailable for " + what + ": "
                    + e.getMessage(), e);
        }
    }

    private void markFailing() {
        failing = true;
        unavailableUntil.set(System.nanoTime() + PROBE_INTERVAL.toNanos());
    }

    <T> T eval(String what, String script, ScriptOutputType type, List<String> keys, String... args) {
        return call(what, r -> r.eval(script, type, keys.toArray(String[]::new), args));
    }

    /** Fire and forget: for bookkeeping that must never hold up a request; failures are dropped. */
    void evalLater(String script, List<String> keys, String... args) {
        try {
            async.eval(script, ScriptOutputType.INTEGER, keys.toArray(String[]::new), args)
                    .exceptionally(ignored -> null);
        } catch (RedisException ignored) {
            // Redis is away; the next use records it.
        }
    }

    @Override
    public void close() {
        connection.close();
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        resources.shutdown(0, 2, TimeUnit.SECONDS);
    }
}
