package dev.sluice.tenancy.redis;

import dev.sluice.tenancy.TenancyException;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.codec.RedisCodec;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.ObjIntConsumer;

/**
 * Makes the first connection of a Lettuce client (standalone, Sentinel or Cluster) without ever blocking a caller:
 * {@link #start()} begins one attempt unless one is running, the connection was made or the holder was closed; a failed
 * attempt is retried on the client's event executors after a delay growing from {@value #FIRST_RETRY_MS} ms to
 * {@value #MAX_RETRY_MS} ms. Once connected, Lettuce's own auto-reconnect keeps the connection; this type is done.
 *
 * <p>Threading: {@link #start()} may be called from any thread; at most one attempt runs at a time, and the retry count
 * is touched only by that attempt's completion. The connected callback runs once, on a Lettuce thread, just after
 * {@link #connected()} turns true. A connection that completes after {@link #close()} is closed, not handed over.
 *
 * @param <V> the value type of the codec
 */
final class BackgroundConnect<V> {
    static final long FIRST_RETRY_MS = 100;
    static final long MAX_RETRY_MS = 2_000;

    private final AbstractRedisClient client;
    private final RedisURI uri;
    private final RedisCodec<String, V> codec;
    private final ScheduledExecutorService retries;
    private final ObjIntConsumer<StatefulConnection<String, V>> onConnected;
    private final AtomicBoolean connecting = new AtomicBoolean();
    private volatile StatefulConnection<String, V> connection;
    private volatile boolean closed;
    private int attempts;

    /**
     * @param retries     where retries are scheduled (the client's event executors, shut down with it)
     * @param onConnected receives the new connection and the number of failed attempts before it
     */
    BackgroundConnect(AbstractRedisClient client, RedisURI uri, RedisCodec<String, V> codec,
                      ScheduledExecutorService retries, ObjIntConsumer<StatefulConnection<String, V>> onConnected) {
        this.client = client;
        this.uri = uri;
        this.codec = codec;
        this.retries = retries;
        this.onConnected = onConnected;
    }

    /**
     * The URI to connect to, its handshake bounded by the connect timeout (commands get theirs from Lettuce's
     * {@code TimeoutOptions}).
     *
     * @throws TenancyException.InvalidInput when the URI is not a Redis URI
     */
    static RedisURI uri(RedisSettings settings) {
        RedisURI uri;
        try {
            uri = RedisURI.create(settings.uri());
        } catch (IllegalArgumentException e) {
            // The URI may hold a password: RedisSettings.toString redacts it, the exception's message may not.
            throw new TenancyException.InvalidInput("redis-uri: not a Redis URI (expected: redis://, rediss:// or"
                    + " redis-sentinel://...; " + settings + ")");
        }
        uri.setTimeout(settings.connectTimeout());
        return uri;
    }

    /**
     * Starts one connection attempt unless connected, connecting or closed; retries on failure with backoff.
     *
     * @return the started attempt (it fails if this attempt failed, retries go on regardless), or a completed future
     *         when no attempt was started
     */
    CompletableFuture<?> start() {
        if (closed || connection != null || !connecting.compareAndSet(false, true)) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<? extends StatefulConnection<String, V>> attempt;
        try {
            if (client instanceof RedisClusterClient cluster) {
                // An asynchronous cluster connect needs the slot map first ("Partitions not initialized").
                attempt = cluster.refreshPartitionsAsync().toCompletableFuture()
                        .thenCompose(loaded -> cluster.connectAsync(codec));
            } else {
                attempt = ((RedisClient) client).connectAsync(codec, uri).toCompletableFuture();
            }
        } catch (RuntimeException e) {
            attempt = CompletableFuture.failedFuture(e);
        }
        return attempt.whenComplete((connected, failure) -> {
            if (failure != null) {
                retryLater();
                return;
            }
            if (closed) {
                connected.closeAsync();
            } else {
                connection = connected;
                onConnected.accept(connected, attempts);
            }
            connecting.set(false);
        });
    }

    /**
     * Starts the first attempt and waits for it a little longer than the connect timeout that bounds it; the holder
     * is usable either way (retries go on in the background).
     *
     * @return why the first attempt did not connect in time: an {@link ExecutionException} or a
     *         {@link TimeoutException}; empty when it connected or the wait was interrupted
     */
    Optional<Exception> startAndAwait(Duration connectTimeout) {
        try {
            start().get(connectTimeout.toMillis() + 500, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            return Optional.of(e);
        }
        return Optional.empty();
    }

    /** Tries again after a growing delay; {@code connecting} stays set so that callers do not start attempts too. */
    private void retryLater() {
        if (closed) {
            connecting.set(false);
            return;
        }
        long delay = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS << Math.min(10, attempts++));
        try {
            retries.schedule(() -> {
                connecting.set(false);
                start();
            }, delay, TimeUnit.MILLISECONDS);
        } catch (RuntimeException shuttingDown) {
            connecting.set(false);
        }
    }

    /** Whether the connection was made (Lettuce reconnects it by itself afterwards). */
    boolean connected() {
        return connection != null;
    }

    /**
     * Stops attempting; the caller closes the client.
     *
     * @return the connection made, to be closed by the caller, or null
     */
    StatefulConnection<String, V> close() {
        closed = true;
        return connection;
    }
}
