package dev.sluice.scheduler.redis;

import dev.sluice.scheduler.shared.ModuleStore;
import java.util.Objects;
import java.util.Optional;

/**
 * The {@link ModuleStore} in Redis: one string per module at {@code <prefix>module:{<digest>}}, written with
 * {@code SET NX} (content-addressed: a second writer of a digest writes the same bytes). Readers verify what they
 * get against the digest, so Redis is trusted for availability only. Each key carries its own hash tag, left to
 * Redis Cluster to place: modules are the bulk of the data, and spreading them spreads it.
 *
 * <p>Thread-safe: stateless apart from the shared connection.
 */
public final class RedisModuleStore implements ModuleStore {
    private final SchedulerRedis redis;

    private RedisModuleStore(SchedulerRedis redis) {
        this.redis = redis;
    }

    public static RedisModuleStore create(SchedulerRedis redis) {
        return new RedisModuleStore(Objects.requireNonNull(redis, "redis"));
    }

    @Override
    public void put(String digest, byte[] bytes) {
        redis.call("store module " + digest, r -> r.setnx(key(digest), bytes));
    }

    @Override
    public Optional<byte[]> get(String digest) {
        return Optional.ofNullable(redis.call("read module " + digest, r -> r.get(key(digest))));
    }

    @Override
    public void delete(String digest) {
        redis.call("delete module " + digest, r -> r.del(key(digest)));
    }

    private String key(String digest) {
        return redis.key("module:{" + digest + "}");
    }
}
