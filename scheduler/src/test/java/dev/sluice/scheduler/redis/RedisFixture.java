package dev.sluice.scheduler.redis;

import dev.sluice.tenancy.testing.RedisTestServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Connections of simulated processes to one real Redis: each {@link #process()} is its own {@link SchedulerRedis},
 * as separate gateways and workers would have. Every fixture gets a fresh key prefix, so tests sharing a server
 * never see each other's keys. Closes every connection it opened.
 */
public final class RedisFixture implements AutoCloseable {
    /** Generous: a loaded 2-core machine must not turn a slow reply into a failed test. */
    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static final AtomicInteger FIXTURES = new AtomicInteger();

    private final RedisTestServer server;
    private final String prefix;
    private final List<SchedulerRedis> opened = new ArrayList<>();

    public RedisFixture(RedisTestServer server) {
        this(server, "s" + FIXTURES.incrementAndGet() + ":");
    }

    /** On the keys of {@code prefix} (a gateway's {@code redis-key-prefix}). */
    public RedisFixture(RedisTestServer server, String prefix) {
        this.server = server;
        this.prefix = prefix;
    }

    public SchedulerRedis.Settings settings() {
        return new SchedulerRedis.Settings(server.uri(), false, TIMEOUT, TIMEOUT, prefix);
    }

    /** A new connection, as a separate process would open; closed with the fixture unless closed before. */
    public SchedulerRedis process() {
        SchedulerRedis redis = SchedulerRedis.open(settings());
        opened.add(redis);
        return redis;
    }

    /** Every key of this fixture's prefix. */
    public List<String> keys() {
        SchedulerRedis redis = opened.isEmpty() ? process() : opened.getFirst();
        return redis.await(redis.commands().keys(prefix + "*"), "keys").stream().sorted().toList();
    }

    /** Overwrites a module's stored bytes, behind the store's back. */
    public void overwriteModule(String digest, byte[] bytes) {
        SchedulerRedis redis = opened.isEmpty() ? process() : opened.getFirst();
        redis.await(redis.commands().set(prefix + "module:{" + digest + "}", bytes), "overwrite");
    }

    @Override
    public void close() {
        opened.reversed().forEach(SchedulerRedis::close);
    }
}
