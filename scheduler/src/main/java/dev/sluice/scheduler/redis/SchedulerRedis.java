package dev.sluice.scheduler.redis;

import dev.sluice.config.CallListener;
import dev.sluice.scheduler.SchedulerException.StorageFailure;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.Delay;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

/**
 * The scheduler's one Lettuce client and multiplexed connection to the shared Redis (standalone, Sentinel or
 * Cluster), shared by the function registry, the module store and worker discovery of one process. This package is
 * the only place in the scheduler module that imports Lettuce. Keys are UTF-8 strings, values raw bytes.
 *
 * <p>Every command is bounded: Lettuce's {@link TimeoutOptions} fail a command after the command timeout, and
 * {@link #await} waits a little longer than that at most. Commands issued while disconnected are rejected at once
 * (standalone; a cluster client connects to each node lazily, so it queues them until the timeout). Lettuce
 * reconnects by itself, backing off to at most one second. Connecting is bounded by its own connect timeout: when
 * Redis cannot be reached at {@link #open}, the holder is returned anyway and connects again on the next use (at
 * most one attempt at a time); until then every call fails at once with {@link StorageFailure}.
 *
 * <p>Threading: thread-safe. Lettuce pipelines concurrent commands on one socket; the holder swaps the connection in
 * once, when the first connect succeeds.
 */
public final class SchedulerRedis implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(SchedulerRedis.class.getName());
    private static final RedisCodec<String, byte[]> CODEC = RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE);
    private static final int REQUEST_QUEUE = 10_000;

    /**
     * How to reach Redis: the same keys the tenancy store reads ({@code redis-uri}, {@code redis-cluster},
     * {@code redis-timeout-ms}, {@code redis-connect-timeout-ms}, {@code redis-key-prefix}).
     *
     * @param uri            Lettuce URI; may hold a password, so {@link #toString()} redacts it
     * @param keyPrefix      prefix of every key, so several installations can share one Redis
     * @param calls          told of every command's duration or failure (metrics); none by default
     */
    public record Settings(String uri, boolean cluster, Duration commandTimeout, Duration connectTimeout,
                           String keyPrefix, CallListener calls) {
        public Settings {
            Objects.requireNonNull(uri, "uri");
            Objects.requireNonNull(commandTimeout, "commandTimeout");
            Objects.requireNonNull(connectTimeout, "connectTimeout");
            Objects.requireNonNull(keyPrefix, "keyPrefix");
            Objects.requireNonNull(calls, "calls");
            if (commandTimeout.isNegative() || commandTimeout.isZero()) {
                throw new IllegalArgumentException("redis-timeout-ms: " + commandTimeout.toMillis()
                        + " (expected: > 0)");
            }
            if (connectTimeout.isNegative() || connectTimeout.isZero()) {
                throw new IllegalArgumentException("redis-connect-timeout-ms: " + connectTimeout.toMillis()
                        + " (expected: > 0)");
            }
        }

        /** Listening to no command. */
        public Settings(String uri, boolean cluster, Duration commandTimeout, Duration connectTimeout,
                        String keyPrefix) {
            this(uri, cluster, commandTimeout, connectTimeout, keyPrefix, CallListener.NONE);
        }

        /** The same settings, telling {@code calls} of every command. */
        public Settings withCalls(CallListener calls) {
            return new Settings(uri, cluster, commandTimeout, connectTimeout, keyPrefix, calls);
        }

        /** The Redis keys of the configuration, which the tenancy store reads too. */
        public static Settings from(dev.sluice.config.StoreConfig stores) {
            return new Settings(stores.effectiveRedisUri(), stores.redisCluster(), Duration.ofMillis(stores.redisTimeoutMs()),
                    Duration.ofMillis(stores.redisConnectTimeoutMs()), stores.redisKeyPrefix());
        }

        String redactedUri() {
            return uri.replaceAll("//[^@/]*@", "//***@");
        }

        @Override
        public String toString() {
            return "SchedulerRedis.Settings[uri=" + redactedUri() + ", cluster=" + cluster + ", commandTimeout="
                    + commandTimeout + ", connectTimeout=" + connectTimeout + ", keyPrefix=" + keyPrefix + "]";
        }
    }

    private final Settings settings;
    private final ClientResources resources;
    private final AbstractRedisClient client;
    private final RedisURI uri;
    private final AtomicBoolean connecting = new AtomicBoolean();
    private volatile StatefulConnection<String, byte[]> connection;
    private volatile RedisClusterAsyncCommands<String, byte[]> commands;
    private volatile boolean closed;

    private SchedulerRedis(Settings settings) {
        this.settings = settings;
        try {
            this.uri = RedisURI.create(settings.uri());
        } catch (IllegalArgumentException e) {
            // The exception's message may hold the password; the settings' toString does not.
            throw new IllegalArgumentException("redis-uri: not a Redis URI (expected: redis://, rediss:// or"
                    + " redis-sentinel://...; " + settings + ")");
        }
        uri.setTimeout(settings.connectTimeout());
        this.resources = DefaultClientResources.builder()
                .ioThreadPoolSize(2)
                .computationThreadPoolSize(2)
                .reconnectDelay(Delay.exponential(Duration.ofMillis(10), Duration.ofSeconds(1), 2,
                        TimeUnit.MILLISECONDS))
                .build();
        SocketOptions socket = SocketOptions.builder().connectTimeout(settings.connectTimeout()).keepAlive(true)
                .build();
        TimeoutOptions timeouts = TimeoutOptions.enabled(settings.commandTimeout());
        if (settings.cluster()) {
            RedisClusterClient cluster = RedisClusterClient.create(resources, uri);
            cluster.setOptions(ClusterClientOptions.builder()
                    .timeoutOptions(timeouts)
                    .socketOptions(socket)
                    .autoReconnect(true)
                    // Node connections open lazily: rejecting while disconnected would reject each node's first
                    // command. Queued commands still fail at the command timeout, and the queue is bounded.
                    .disconnectedBehavior(ClientOptions.DisconnectedBehavior.ACCEPT_COMMANDS)
                    .requestQueueSize(REQUEST_QUEUE)
                    .topologyRefreshOptions(ClusterTopologyRefreshOptions.builder()
                            .enableAllAdaptiveRefreshTriggers()
                            .enablePeriodicRefresh(Duration.ofSeconds(30))
                            .build())
                    .build());
            this.client = cluster;
        } else {
            RedisClient standalone = RedisClient.create(resources);
            standalone.setOptions(ClientOptions.builder()
                    .timeoutOptions(timeouts)
                    .socketOptions(socket)
                    .autoReconnect(true)
                    .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                    .build());
            this.client = standalone;
        }
        client.addListener(new CommandEvents(settings.calls()));
    }

    /**
     * Opens the client and connects, waiting at most about the connect timeout. When Redis cannot be reached the
     * holder is returned anyway (logged at WARNING); the next use tries again.
     *
     * @throws IllegalArgumentException when the URI is not a Redis URI
     */
    public static SchedulerRedis open(Settings settings) {
        Objects.requireNonNull(settings, "settings");
        SchedulerRedis redis = new SchedulerRedis(settings);
        try {
            redis.connect().get(settings.connectTimeout().toMillis() + 500, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            LOG.log(Level.WARNING, "scheduler: Redis at " + settings.redactedUri() + " unreachable at start ("
                    + (e instanceof ExecutionException ? e.getCause().getMessage() : "no answer within "
                    + settings.connectTimeout().toMillis() + " ms") + "); connecting again on next use");
        }
        return redis;
    }

    /** One connection attempt unless connected, connecting or closed. */
    private CompletableFuture<?> connect() {
        if (closed || connection != null || !connecting.compareAndSet(false, true)) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<? extends StatefulConnection<String, byte[]>> attempt;
        try {
            if (client instanceof RedisClusterClient cluster) {
                // An asynchronous cluster connect needs the slot map first.
                attempt = cluster.refreshPartitionsAsync().toCompletableFuture()
                        .thenCompose(loaded -> cluster.connectAsync(CODEC));
            } else {
                attempt = ((RedisClient) client).connectAsync(CODEC, uri).toCompletableFuture();
            }
        } catch (RuntimeException e) {
            attempt = CompletableFuture.failedFuture(e);
        }
        return attempt.whenComplete((connected, failure) -> {
            if (failure == null) {
                if (closed) {
                    connected.closeAsync();
                } else {
                    connection = connected;
                    commands = connected instanceof StatefulRedisClusterConnection<String, byte[]> c
                            ? c.async() : ((StatefulRedisConnection<String, byte[]>) connected).async();
                }
            }
            connecting.set(false);
        });
    }

    /**
     * The asynchronous commands of the live connection (String keys, byte[] values); fails at once, starting a
     * connection attempt, while no connection was ever made. Wait for replies with {@link #await}.
     *
     * @throws StorageFailure when not connected yet
     */
    public RedisClusterAsyncCommands<String, byte[]> commands() {
        RedisClusterAsyncCommands<String, byte[]> current = commands;
        if (current == null) {
            connect();
            throw new StorageFailure("shared store: not connected to Redis at " + settings.redactedUri()
                    + " yet; connecting in the background", null);
        }
        return current;
    }

    /** Whether a connection was ever made (Lettuce reconnects it by itself afterwards). */
    public boolean connected() {
        return commands != null;
    }

    /** A full key: the configured prefix, then {@code name}. Callers choose hash tags for multi-key scripts. */
    public String key(String name) {
        return settings.keyPrefix() + name;
    }

    public Duration timeout() {
        return settings.commandTimeout();
    }

    /**
     * Waits for a reply, at most a little longer than the command timeout Lettuce already enforces.
     *
     * @param what names the operation in the error message
     * @throws StorageFailure when Redis failed, refused or did not answer in time
     */
    public <T> T await(CompletionStage<T> reply, String what) {
        try {
            return reply.toCompletableFuture().get(settings.commandTimeout().toNanos() + 50_000_000L,
                    TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StorageFailure("shared store: " + what + ": interrupted", e);
        } catch (TimeoutException e) {
            throw new StorageFailure("shared store: Redis did not answer " + what + " within "
                    + settings.commandTimeout().toMillis() + " ms", e);
        } catch (ExecutionException e) {
            throw new StorageFailure("shared store: Redis failed " + what + ": " + e.getCause().getMessage(),
                    e.getCause());
        }
    }

    /**
     * Issues a command and waits for its reply: {@link #await} of {@code command} applied to {@link #commands()}, with
     * a failure Lettuce throws at once (disconnected, shutting down) reported the same way.
     *
     * @throws StorageFailure when Redis failed, refused, is not connected or did not answer in time
     */
    public <T> T call(String what, Function<RedisClusterAsyncCommands<String, byte[]>, CompletionStage<T>> command) {
        CompletionStage<T> reply;
        try {
            reply = command.apply(commands());
        } catch (StorageFailure e) {
            throw e;
        } catch (RuntimeException e) {
            throw new StorageFailure("shared store: Redis failed " + what + ": " + e.getMessage(), e);
        }
        return await(reply, what);
    }

    /**
     * Runs a Lua script by {@code EVALSHA}, sending its source only when Redis does not know it yet (first use, or
     * Redis restarted empty). String arguments are sent as UTF-8.
     */
    public <T> CompletableFuture<T> eval(Script script, String[] keys, byte[]... args) {
        RedisClusterAsyncCommands<String, byte[]> redis = commands();
        CompletableFuture<T> first;
        try {
            first = redis.<T>evalsha(script.sha, script.output, keys, args).toCompletableFuture();
        } catch (RuntimeException e) { // thrown at once while disconnected or shutting down
            return CompletableFuture.failedFuture(e);
        }
        return first.exceptionallyCompose(failure -> {
            Throwable cause = failure instanceof CompletionException ? failure.getCause() : failure;
            if (cause instanceof RedisNoScriptException) {
                return redis.<T>eval(script.source, script.output, keys, args).toCompletableFuture();
            }
            return CompletableFuture.failedFuture(cause);
        });
    }

    /** UTF-8 bytes of a script argument. */
    public static byte[] arg(String value) {
        return value.getBytes(StandardCharsets.UTF_8);
    }

    public static byte[] arg(long value) {
        return Long.toString(value).getBytes(StandardCharsets.US_ASCII);
    }

    /** A Lua script and its SHA-1, computed once. */
    public static final class Script {
        private final String source;
        private final String sha;
        private final ScriptOutputType output;

        private Script(String source, ScriptOutputType output) {
            this.source = source;
            this.output = output;
            try {
                this.sha = HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-1")
                        .digest(source.getBytes(StandardCharsets.UTF_8)));
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException("SHA-1 is required of every JDK", e);
            }
        }

        /** A script whose reply is an integer. */
        public static Script integer(String source) {
            return new Script(source, ScriptOutputType.INTEGER);
        }

        /** A script whose reply is an array (of integers and bulk strings). */
        public static Script multi(String source) {
            return new Script(source, ScriptOutputType.MULTI);
        }

        /** A script whose reply is a bulk string (bytes) or nil. */
        public static Script value(String source) {
            return new Script(source, ScriptOutputType.VALUE);
        }
    }

    @Override
    public void close() {
        closed = true;
        StatefulConnection<String, byte[]> current = connection;
        if (current != null) {
            current.close();
        }
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        resources.shutdown(0, 2, TimeUnit.SECONDS);
    }

    @Override
    public String toString() {
        return "SchedulerRedis[" + settings + ", connected=" + connected() + "]";
    }
}
