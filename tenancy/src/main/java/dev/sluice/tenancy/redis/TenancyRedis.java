package dev.sluice.tenancy.redis;

import dev.sluice.tenancy.TenancyException;
import dev.sluice.tenancy.quota.CircuitBreaker;

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
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.Delay;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * The one Redis connection the tenancy stores share, and the only place Lettuce types appear. Every key starts with
 * {@code <key-prefix>{tenancy}:}; the hash tag puts all tenancy keys in one cluster slot, so the multi-key scripts
 * that keep indexes consistent are atomic on Redis Cluster too. Every command is bounded by the command timeout;
 * failures become {@link TenancyException.StoreUnavailable} (no answer) or {@link TenancyException.StorageFailure}
 * (Redis answered with an error).
 *
 * <p>Connecting is bounded by the settings' connect timeout, apart from the command timeout. When Redis cannot be
 * reached at start, {@link #connect} still returns: the connection is retried in the background with a growing delay
 * (up to {@value BackgroundConnect#MAX_RETRY_MS} ms, see {@link BackgroundConnect}), calls fail at once with {@link TenancyException.StoreUnavailable}
 * meanwhile, and {@link #connected()} tells readiness when it succeeded. A gateway so starts beside a Redis that is
 * slow or briefly away, instead of exiting.
 *
 * <p>After a sustained failure rate (see {@link CircuitBreaker}) calls fail at once for a while instead of each waiting
 * out the timeout: readers then fall back to their stale entries without delay. One slow call never does that.
 *
 * <p>Thread-safe: Lettuce multiplexes one connection; the holder swaps it in once, when the first connect succeeds.
 */
final class TenancyRedis implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(TenancyRedis.class.getName());

    private final RedisSettings settings;
    private final ClientResources resources;
    private final AbstractRedisClient client;
    private final String base;
    private final Duration timeout;
    private final CircuitBreaker breaker;
    private final BackgroundConnect<String> connect;
    private volatile RedisClusterCommands<String, String> sync;
    private volatile RedisClusterAsyncCommands<String, String> async;

    private TenancyRedis(RedisSettings settings, RedisURI uri, ClientResources resources, AbstractRedisClient client,
                         LongSupplier nanoTime) {
        this.settings = settings;
        this.resources = resources;
        this.client = client;
        this.base = settings.keyPrefix() + "{tenancy}:";
        this.timeout = settings.commandTimeout();
        this.breaker = new CircuitBreaker(settings.breaker(), nanoTime);
        this.connect = new BackgroundConnect<>(client, uri, StringCodec.UTF8, resources.eventExecutorGroup(),
                (connected, retries) -> {
                    if (connected instanceof StatefulRedisClusterConnection<String, String> c) {
                        async = c.async();
                        sync = c.sync();
                    } else {
                        StatefulRedisConnection<String, String> c = (StatefulRedisConnection<String, String>) connected;
                        async = c.async();
                        sync = c.sync();
                    }
                    if (retries > 0) {
                        LOG.log(Level.INFO, "tenancy store: connected to Redis after " + retries + " retries");
                    }
                });
    }

    /**
     * Opens the client and connects, waiting at most the connect timeout; when Redis cannot be reached the holder is
     * returned anyway and keeps connecting in the background.
     *
     * @throws TenancyException.InvalidInput when the URI is not a Redis URI
     */
    static TenancyRedis connect(RedisSettings settings, LongSupplier nanoTime) {
        RedisURI uri = BackgroundConnect.uri(settings);
        // Reconnect quickly once Redis is back: the default backoff grows to 30 s, during which every request fails.
        ClientResources resources = DefaultClientResources.builder()
                .ioThreadPoolSize(2)
                .computationThreadPoolSize(2)
                .reconnectDelay(Delay.exponential(Duration.ofMillis(10), Duration.ofSeconds(1), 2,
                        TimeUnit.MILLISECONDS))
                .build();
        SocketOptions socket = SocketOptions.builder().connectTimeout(settings.connectTimeout()).build();
        TimeoutOptions timeouts = TimeoutOptions.enabled(settings.commandTimeout());
        AbstractRedisClient client;
        if (settings.cluster()) {
            RedisClusterClient cluster = RedisClusterClient.create(resources, uri);
            cluster.setOptions(ClusterClientOptions.builder().socketOptions(socket).timeoutOptions(timeouts).build());
            client = cluster;
        } else {
            RedisClient standalone = RedisClient.create(resources, uri);
            standalone.setOptions(ClientOptions.builder().socketOptions(socket).timeoutOptions(timeouts).build());
            client = standalone;
        }
        client.addListener(new CommandEvents(settings.calls()));
        TenancyRedis redis = new TenancyRedis(settings, uri, resources, client, nanoTime);
        redis.connect.startAndAwait(settings.connectTimeout()).ifPresent(e -> LOG.log(Level.WARNING,
                "tenancy store: cannot connect to Redis yet (" + settings + ": "
                + (e instanceof ExecutionException ? e.getCause().getMessage() : "no answer within "
                + settings.connectTimeout().toMillis() + " ms") + "); retrying in the background, not ready"
                + " until it answers"));
        return redis;
    }

    /** Whether the connection was made (Lettuce reconnects it by itself afterwards). */
    boolean connected() {
        return sync != null;
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
        RedisClusterCommands<String, String> current = sync;
        if (current == null) {
            connect.start();
            throw new TenancyException.StoreUnavailable("tenancy store: not connected to Redis yet (" + settings
                    + "); connecting in the background", null);
        }
        CircuitBreaker.Permission permission = breaker.acquire();
        if (permission == CircuitBreaker.Permission.REFUSE) {
            throw new TenancyException.StoreUnavailable("tenancy store: Redis unavailable (failing; retried in at"
                    + " most " + settings.breaker().openFor().toMillis() + " ms)", null);
        }
        try {
            T result = commands.apply(current);
            breaker.onSuccess(permission);
            return result;
        } catch (RedisCommandExecutionException e) {
            breaker.onSuccess(permission); // Redis answered
            throw new TenancyException.StorageFailure("tenancy store: Redis refused " + what + ": " + e.getMessage(),
                    e);
        } catch (RedisCommandTimeoutException e) {
            breaker.onFailure(permission);
            throw new TenancyException.StoreUnavailable("tenancy store: Redis did not answer " + what + " within "
                    + timeout.toMillis() + " ms", e);
        } catch (RedisException e) {
            breaker.onFailure(permission);
            throw new TenancyException.StoreUnavailable("tenancy store: Redis unavailable for " + what + ": "
                    + e.getMessage(), e);
        } catch (RuntimeException e) {
            breaker.onIgnored(permission);
            throw e;
        }
    }

    <T> T eval(String what, String script, ScriptOutputType type, List<String> keys, String... args) {
        return call(what, r -> r.eval(script, type, keys.toArray(String[]::new), args));
    }

    /** Fire and forget: for bookkeeping that must never hold up a request; failures are dropped. */
    void evalLater(String script, List<String> keys, String... args) {
        RedisClusterAsyncCommands<String, String> current = async;
        if (current == null) {
            return;
        }
        try {
            current.eval(script, ScriptOutputType.INTEGER, keys.toArray(String[]::new), args)
                    .exceptionally(ignored -> null);
        } catch (RedisException ignored) {
            // Redis is away; the next use records it.
        }
    }

    @Override
    public void close() {
        StatefulConnection<String, String> current = connect.close();
        if (current != null) {
            current.close();
        }
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        resources.shutdown(0, 2, TimeUnit.SECONDS);
    }
}
