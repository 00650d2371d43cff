package dev.sluice.scheduler.redis;

/**
 * Told of every command the scheduler (registry, module store, discovery) sends to Redis, for metrics: the command's
 * name (the protocol keyword, such as {@code EVALSHA}; never a key or an argument), how long it took, and whether it
 * failed (timed out, refused while disconnected, or an error reply). Called on Lettuce's I/O threads: quick, never
 * blocking, never throwing. The tenancy module has its twin ({@code dev.sluice.tenancy.redis.RedisCallListener}):
 * neither module depends on the other, and the gateway hands both the same method.
 */
@FunctionalInterface
public interface RedisCallListener {
    /** Listens to nothing. */
    RedisCallListener NONE = (command, nanos, failed) -> { };

    /** @param nanos the command's duration; 0 for a failure, whose duration Lettuce does not report */
    void call(String command, long nanos, boolean failed);
}
