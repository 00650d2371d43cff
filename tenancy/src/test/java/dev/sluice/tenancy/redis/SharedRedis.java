package dev.sluice.tenancy.redis;

import dev.sluice.tenancy.quota.FailPolicy;

import dev.sluice.tenancy.testing.RedisTestServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Connections of simulated gateways to one real Redis: each {@link #gateway} is a separate Lettuce client, as two
 * gateway processes would have. Every test gets a fresh key prefix, so tests sharing a server never see each other's
 * keys. Closes every connection it made.
 */
public final class SharedRedis implements AutoCloseable {
    /** The production default: 200 ms let a hammering test's call time out on a loaded 2-core machine. */
    static final Duration TIMEOUT = Duration.ofMillis(1_000);
    private static final AtomicInteger TESTS = new AtomicInteger();

    final RedisTestServer server;
    public final String prefix;
    private final List<AutoCloseable> opened = new ArrayList<>();

    public SharedRedis(RedisTestServer server) {
        this.server = server;
        this.prefix = "t" + TESTS.incrementAndGet() + ":";
    }

    public RedisSettings settings(FailPolicy failPolicy, int replicas) {
        return new RedisSettings(server.uri(), false, TIMEOUT, failPolicy, replicas, prefix);
    }

    public RedisConnection gateway() {
        RedisConnection connection = RedisConnection.open(settings(FailPolicy.FAIL_CLOSED, 1));
        opened.add(connection);
        return connection;
    }

    /** A plain client for looking at keys behind the implementations' backs. */
    public StatefulRedisConnection<String, String> inspector() {
        RedisClient client = RedisClient.create(server.uri());
        StatefulRedisConnection<String, String> connection = client.connect();
        opened.add(() -> {
            connection.close();
            client.shutdown(Duration.ZERO, Duration.ofSeconds(1));
        });
        return connection;
    }

    @Override
    public void close() throws Exception {
        for (AutoCloseable c : opened.reversed()) {
            c.close();
        }
    }
}
