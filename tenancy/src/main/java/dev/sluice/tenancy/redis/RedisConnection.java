package dev.sluice.tenancy.redis;

import dev.sluice.tenancy.TenancyException;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
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
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One Lettuce client and one multiplexed connection to the shared Redis (standalone, Sentinel or Cluster), shared by
 * every Redis-backed quota of a gateway. Keys are UTF-8 strings, values raw bytes (Bucket4j stores its state as
 * bytes).
 *
 * <p>Every command is bounded: Lettuce's {@link TimeoutOptions} fail a command after {@link #timeout()}, commands issued
 * while disconnected are rejected at once ({@link ClientOptions.DisconnectedBehavior#REJECT_COMMANDS}; with Redis
 * Cluster they wait out the timeout instead, since Lettuce connects to each node on its first command), and reconnects
 * back off to at most one second, so a stalled or absent Redis costs a caller at most the timeout and a Redis that
 * comes back is used again within about a second.
 *
 * <p>Connecting is bounded by its own {@link RedisSettings#connectTimeout()} (TCP connect and the handshake), not by
 * the command timeout: a JVM still loading classes can take far longer to open a connection than Redis takes to
 * answer. If Redis cannot be reached when the gateway starts, the holder is returned anyway and keeps connecting in
 * the background, backing off from {@value BackgroundConnect#FIRST_RETRY_MS} ms to {@value BackgroundConnect#MAX_RETRY_MS} ms between
 * attempts (see {@link BackgroundConnect});
 * {@link #connected()} tells readiness when it succeeded.
 *
 * <p>Threading: the connection is thread-safe (Lettuce pipelines concurrent commands on one socket); this holder only
 * swaps the connection once, when the first connect succeeds.
 */
public final class RedisConnection implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(RedisConnection.class.getName());
    private static final int REQUEST_QUEUE = 10_000;
    static final RedisCodec<String, byte[]> CODEC = RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE);

    private final RedisSettings settings;
    private final ClientResources resources;
    private final AbstractRedisClient client;
    private final BackgroundConnect<byte[]> connect;
    private volatile RedisClusterAsyncCommands<String, byte[]> commands;

    private RedisConnection(RedisSettings settings) {
        this.settings = settings;
        RedisURI uri = BackgroundConnect.uri(settings);
        this.resources = DefaultClientResources.builder()
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
                    // Lettuce opens node connections lazily; rejecting while disconnected would reject the first
                    // command to every node. Queued commands still fail at the command timeout, and the queue is
                    // bounded.
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
        this.connect = new BackgroundConnect<>(client, uri, CODEC, resources.eventExecutorGroup(),
                (connected, retries) -> {
                    commands = connected instanceof StatefulRedisClusterConnection<String, byte[]> c
                            ? c.async() : ((StatefulRedisConnection<String, byte[]>) connected).async();
                    LOG.log(Level.INFO, "redis at " + settings.redactedUri() + " connected");
                });
    }

    /**
     * Connects, waiting at most the connect timeout; when Redis cannot be reached the holder is returned anyway and
     * keeps trying in the background (callers see {@link TenancyException.QuotaStoreUnavailable} until it succeeds).
     */
    public static RedisConnection open(RedisSettings settings) {
        Objects.requireNonNull(settings, "settings");
        RedisConnection redis = new RedisConnection(settings);
        redis.connect.startAndAwait(settings.connectTimeout()).ifPresent(e -> LOG.log(Level.WARNING, "redis at "
                + settings.redactedUri() + " unreachable at start (" + rootCause(e) + "); connecting in the background,"
                + " quotas follow their fail policy until it answers"));
        return redis;
    }

    /** The commands of the live connection; throws at once (no waiting) while no connection was ever made. */
    RedisClusterAsyncCommands<String, byte[]> commands() {
        RedisClusterAsyncCommands<String, byte[]> current = commands;
        if (current == null) {
            connect.start();
            throw unavailable("not connected", null);
        }
        return current;
    }

    /** Whether a connection was ever made (Lettuce reconnects it by itself afterwards). */
    public boolean connected() {
        return commands != null;
    }

    Duration timeout() {
        return settings.commandTimeout();
    }

    String keyPrefix() {
        return settings.keyPrefix();
    }

    /** Whether this is Redis Cluster: a script may then only touch keys of one slot. */
    boolean cluster() {
        return settings.cluster();
    }

    /** Waits for a command's reply, at most a little longer than the command timeout Lettuce already enforces. */
    <T> T await(CompletionStage<T> reply, String what) {
        try {
            return reply.toCompletableFuture().get(settings.commandTimeout().toNanos() + 50_000_000L,
                    TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw unavailable(what + ": interrupted", e);
        } catch (TimeoutException e) {
            throw unavailable(what + ": no reply within " + settings.commandTimeout().toMillis() + " ms", e);
        } catch (ExecutionException e) {
            throw unavailable(what + ": " + e.getCause().getMessage(), e.getCause());
        }
    }

    static TenancyException.QuotaStoreUnavailable unavailable(String message, Throwable cause) {
        return new TenancyException.QuotaStoreUnavailable("quota store unavailable: " + message, cause);
    }

    @Override
    public void close() {
        StatefulConnection<String, byte[]> current = connect.close();
        if (current != null) {
            current.close();
        }
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        resources.shutdown(0, 2, TimeUnit.SECONDS);
    }

    private static String rootCause(Throwable e) {
        StringBuilder causes = new StringBuilder();
        for (Throwable t = e instanceof ExecutionException ? e.getCause() : e; t != null; t = t.getCause()) {
            causes.append(causes.isEmpty() ? "" : ": ").append(t.getMessage());
        }
        return causes.toString();
    }

}
