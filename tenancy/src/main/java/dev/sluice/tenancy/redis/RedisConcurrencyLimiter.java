package dev.sluice.tenancy.redis;

import dev.sluice.tenancy.TenantUid;
import dev.sluice.tenancy.quota.ConcurrencyLimiter;

import io.lettuce.core.ScriptOutputType;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * In-flight invocations per tenant across every gateway: a sorted set {@code <prefix>conc:<tenant>} of lease ids scored
 * by their expiry (epoch milliseconds of the gateway's clock). Acquiring is one script that drops expired leases, then
 * admits if fewer than the limit remain; releasing removes the lease. A gateway that dies leaves its leases to expire,
 * and the key itself expires with its longest lease, so idle tenants cost nothing.
 *
 * <p>Time: expiry uses the injected wall clock; gateways' clocks must agree to well under a lease's time to live.
 *
 * <p>Threading: thread-safe; release is asynchronous (a reply is not waited for: a lost release only holds the slot
 * until the lease expires).
 */
public final class RedisConcurrencyLimiter implements ConcurrencyLimiter {
    /**
     * KEYS[1] the tenant's set; ARGV: now (ms), lease expiry (ms), limit, lease id, key ttl (ms).
     * Returns {1, in flight including this lease} when admitted, {0, in flight} when not.
     */
    static final RedisScript ACQUIRE = new RedisScript("""
            redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
            local inFlight = redis.call('ZCARD', KEYS[1])
            if inFlight >= tonumber(ARGV[3]) then
              return {0, inFlight}
            end
            redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
            if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[5]) then
              redis.call('PEXPIRE', KEYS[1], ARGV[5])
            end
            return {1, inFlight + 1}
            """, ScriptOutputType.MULTI);

    private final RedisConnection redis;
    private final InstantSource clock;
    private final String prefix;

    public RedisConcurrencyLimiter(RedisConnection redis, InstantSource clock) {
        this.redis = Objects.requireNonNull(redis, "redis");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.prefix = redis.keyPrefix() + "conc:";
    }

    @Override
    public ConcurrencyDecision tryAcquire(TenantUid tenant, int limit, Duration leaseTtl) {
        Objects.requireNonNull(tenant, "tenant");
        ConcurrencyLimiter.checkRequest(limit, leaseTtl);
        String key = prefix + tenant.value();
        String leaseId = UUID.randomUUID().toString();
        long now = clock.millis();
        long ttl = Math.max(1, leaseTtl.toMillis());
        List<Long> reply = redis.await(ACQUIRE.<List<Long>>run(redis.commands(), key, RedisScript.arg(now),
                RedisScript.arg(now + ttl), RedisScript.arg(limit), RedisScript.arg(leaseId),
                RedisScript.arg(ttl)), "concurrency " + tenant);
        int inFlight = Math.toIntExact(reply.get(1));
        if (reply.get(0) == 1L) {
            return new ConcurrencyDecision(true, limit, inFlight, Optional.of(new RedisLease(key, leaseId)));
        }
        return new ConcurrencyDecision(false, limit, inFlight, Optional.empty());
    }

    @Override
    public void forget(TenantUid tenant) {
        redis.await(redis.commands().del(prefix + tenant.value()), "forget concurrency " + tenant);
    }

    /** Leases of the tenant not yet expired or released, for tests and diagnostics. */
    long inFlight(TenantUid tenant) {
        return redis.await(redis.commands().zcount(prefix + tenant.value(),
                io.lettuce.core.Range.create((double) clock.millis() + 1, Double.POSITIVE_INFINITY)), "zcount");
    }

    private final class RedisLease implements Lease {
        private final String key;
        private final String id;
        private final AtomicBoolean released = new AtomicBoolean();

        RedisLease(String key, String id) {
            this.key = key;
            this.id = id;
        }

        @Override
        public void close() {
            if (!released.compareAndSet(false, true)) {
                return;
            }
            try {
                redis.commands().zrem(key, RedisScript.arg(id));
            } catch (RuntimeException notConnected) {
                // Left to expire with its time to live.
            }
        }
    }
}
