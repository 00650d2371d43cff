package dev.sluice.tenancy.redis;

import dev.sluice.tenancy.TenantUid;
import dev.sluice.tenancy.quota.Failover;
import dev.sluice.tenancy.quota.FuelBudget;
import dev.sluice.tenancy.quota.FuelDays;

import io.lettuce.core.ScriptOutputType;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.LocalDate;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Daily fuel per tenant across every gateway: a hash {@code <prefix>fuel:<tenant>:<yyyy-mm-dd>} (UTC day of the
 * injected clock) whose field {@code used} counts fuel reserved or spent. A reservation is one script that adds the
 * call's whole limit only if it still fits the budget; settling refunds what the call did not use, to the day it was
 * reserved on. Keys expire two days after their last write.
 *
 * <p>Numbers: Redis Lua compares in doubles, exact up to 2^53 fuel per tenant and day.
 *
 * <p>Threading: thread-safe; settling is asynchronous and never throws (a refund lost to an outage leaves the tenant
 * charged the full reservation — never more than its budget).
 */
public final class RedisFuelBudget implements FuelBudget, Failover.FuelDebit {
    static final Duration KEY_TTL = Duration.ofDays(2);

    /**
     * KEYS[1] the tenant's day; ARGV: budget, amount, key ttl (ms).
     * Returns {1, remaining after this reservation} or {0, remaining now}.
     */
    static final RedisScript RESERVE = new RedisScript("""
            local used = tonumber(redis.call('HGET', KEYS[1], 'used') or '0')
            local budget = tonumber(ARGV[1])
            local amount = tonumber(ARGV[2])
            if used + amount > budget then
              return {0, math.max(0, budget - used)}
            end
            used = redis.call('HINCRBY', KEYS[1], 'used', amount)
            redis.call('PEXPIRE', KEYS[1], ARGV[3])
            return {1, budget - used}
            """, ScriptOutputType.MULTI);

    private final RedisConnection redis;
    private final InstantSource clock;
    private final String prefix;

    public RedisFuelBudget(RedisConnection redis, InstantSource clock) {
        this.redis = Objects.requireNonNull(redis, "redis");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.prefix = redis.keyPrefix() + "fuel:";
    }

    @Override
    public FuelDecision reserve(TenantUid tenant, long budgetPerDay, long amount) {
        Objects.requireNonNull(tenant, "tenant");
        FuelDays.check(budgetPerDay, amount);
        Instant now = clock.instant();
        String key = key(tenant, now);
        long reset = FuelDays.secondsToReset(now);
        List<Long> reply = redis.await(RESERVE.<List<Long>>run(redis.commands(), key,
                RedisScript.arg(budgetPerDay), RedisScript.arg(amount), RedisScript.arg(KEY_TTL.toMillis())),
                "fuel " + tenant);
        long remaining = reply.get(1);
        if (reply.get(0) == 1L) {
            return new FuelDecision(true, budgetPerDay, remaining, reset,
                    Optional.of(new RedisReservation(key, amount)));
        }
        return new FuelDecision(false, budgetPerDay, remaining, reset, Optional.empty());
    }

    /** Counts {@code amount} fuel reserved elsewhere (by a fallback while Redis was away) against today's budget. */
    @Override
    public void debit(TenantUid tenant, long amount) {
        add(key(tenant, today()), amount, "fuel debit " + tenant);
    }

    @Override
    public LocalDate today() {
        return FuelDays.day(clock.instant());
    }

    /** Gives back to {@code day}'s count what a reservation counted there by {@link #debit} did not use. */
    @Override
    public void refund(TenantUid tenant, long amount, LocalDate day) {
        add(key(tenant, day), -amount, "fuel refund " + tenant);
    }

    private void add(String key, long amount, String what) {
        redis.await(redis.commands().hincrby(key, "used", amount), what);
        redis.commands().pexpire(key, KEY_TTL.toMillis());
    }

    /** Deletes the days a key may still exist for: today and the day before (keys live {@link #KEY_TTL}). */
    @Override
    public void forget(TenantUid tenant) {
        LocalDate today = today();
        // One DEL per key: in a cluster the days hash to different slots.
        CompletableFuture<?>[] deletes = new CompletableFuture<?>[3];
        for (int i = 0; i < deletes.length; i++) {
            deletes[i] = redis.commands().del(key(tenant, today.minusDays(i))).toCompletableFuture();
        }
        redis.await(CompletableFuture.allOf(deletes), "forget fuel " + tenant);
    }

    String key(TenantUid tenant, Instant at) {
        return key(tenant, FuelDays.day(at));
    }

    private String key(TenantUid tenant, LocalDate day) {
        return prefix + tenant.value() + ":" + day;
    }

    /** Fuel counted against the tenant's day so far (reserved and not refunded), for tests and diagnostics. */
    public long used(TenantUid tenant) {
        byte[] used = redis.await(redis.commands().hget(key(tenant, clock.instant()), "used"), "fuel used");
        return used == null ? 0 : Long.parseLong(new String(used, java.nio.charset.StandardCharsets.US_ASCII));
    }

    private final class RedisReservation implements Reservation {
        private final String key;
        private final long amount;
        private final AtomicBoolean settled = new AtomicBoolean();

        RedisReservation(String key, long amount) {
            this.key = key;
            this.amount = amount;
        }

        @Override
        public void settle(long used) {
            if (!settled.compareAndSet(false, true)) {
                return;
            }
            long refund = amount - Math.min(amount, Math.max(0, used));
            if (refund == 0) {
                return;
            }
            try {
                redis.commands().hincrby(key, "used", -refund);
            } catch (RuntimeException notConnected) {
                // The refund is lost: the tenant stays charged the whole reservation, never more than its budget.
            }
        }
    }
}
