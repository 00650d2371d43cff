package dev.sluice.tenancy;

import io.lettuce.core.ScriptOutputType;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.InstantSource;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * Usage per tenant and UTC day shared by every gateway: a hash {@code <prefix>usage:<tenant>:<yyyy-mm-dd>} with fields
 * {@code invocations}, {@code errors}, {@code throttles} and {@code fuel}, kept {@value #RETENTION_DAYS} days.
 *
 * <p>Recording never blocks: each event is one fire-and-forget script call pipelined on the shared connection. At most
 * {@code maxInFlight} writes wait for replies; past that, or while Redis is away, events are dropped and counted
 * ({@link #dropped()}) — usage is reporting, not enforcement (the quotas themselves are enforced by the rate, concurrency
 * and fuel stores).
 *
 * <p>Threading: thread-safe. Reads ({@link #daily}) wait for Redis, bounded by the command timeout.
 */
final class RedisUsageLedger implements UsageLedger {
    static final int RETENTION_DAYS = LocalUsageLedger.RETENTION_DAYS;
    private static final System.Logger LOG = System.getLogger(RedisUsageLedger.class.getName());

    /** KEYS[1] the tenant's day; ARGV: invocations, errors, throttles, fuel, ttl (s). */
    static final RedisScript RECORD = new RedisScript("""
            local fields = {'invocations', 'errors', 'throttles', 'fuel'}
            for i = 1, 4 do
              if ARGV[i] ~= '0' then
                redis.call('HINCRBY', KEYS[1], fields[i], ARGV[i])
              end
            end
            redis.call('EXPIRE', KEYS[1], ARGV[5])
            return 1
            """, ScriptOutputType.INTEGER);
    private static final byte[] ZERO = RedisScript.arg(0);
    private static final byte[] ONE = RedisScript.arg(1);
    private static final byte[] TTL = RedisScript.arg(Duration.ofDays(RETENTION_DAYS).toSeconds());

    private final RedisConnection redis;
    private final InstantSource clock;
    private final String prefix;
    private final int maxInFlight;
    private final Semaphore inFlight;
    private final LongAdder dropped = new LongAdder();
    private final RateLimitedLog log;

    RedisUsageLedger(RedisConnection redis, InstantSource clock, int maxInFlight, RateLimitedLog log) {
        this.redis = Objects.requireNonNull(redis, "redis");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.log = Objects.requireNonNull(log, "log");
        if (maxInFlight <= 0) {
            throw new TenancyException.InvalidInput("usage max in flight: " + maxInFlight + " (expected: > 0)");
        }
        this.maxInFlight = maxInFlight;
        this.inFlight = new Semaphore(maxInFlight);
        this.prefix = redis.keyPrefix() + "usage:";
    }

    @Override
    public void invocation(TenantId tenant, boolean failed, long fuelUsed) {
        record(tenant, ONE, failed ? ONE : ZERO, ZERO, RedisScript.arg(Math.max(0, fuelUsed)));
    }

    @Override
    public void throttled(TenantId tenant) {
        record(tenant, ZERO, ZERO, ONE, ZERO);
    }

    private void record(TenantId tenant, byte[] invocations, byte[] errors, byte[] throttles, byte[] fuel) {
        Objects.requireNonNull(tenant, "tenant");
        if (!inFlight.tryAcquire()) {
            drop("more than " + maxInFlight + " usage writes waiting for Redis");
            return;
        }
        CompletableFuture<Long> write;
        try {
            write = RECORD.run(redis.commands(), key(tenant, today()), invocations, errors, throttles, fuel, TTL);
        } catch (RuntimeException e) {
            inFlight.release();
            drop(e.getMessage());
            return;
        }
        write.whenComplete((ok, failure) -> {
            inFlight.release();
            if (failure != null) {
                drop(failure.getMessage());
            }
        });
    }

    private void drop(String why) {
        dropped.increment();
        log.warn("usage", () -> "usage events dropped (" + dropped.sum() + " so far): " + why);
    }

    @Override
    public List<DailyUsage> daily(TenantId tenant, int days) {
        Objects.requireNonNull(tenant, "tenant");
        if (days <= 0) {
            throw new TenancyException.InvalidInput("days: " + days + " (expected: > 0)");
        }
        LocalDate today = today();
        int span = Math.min(days, RETENTION_DAYS);
        List<CompletableFuture<Map<String, byte[]>>> replies = new ArrayList<>(span);
        for (int i = 0; i < span; i++) {
            replies.add(redis.commands().hgetall(key(tenant, today.minusDays(i))).toCompletableFuture());
        }
        List<DailyUsage> usage = new ArrayList<>();
        for (int i = 0; i < span; i++) {
            Map<String, byte[]> fields = redis.await(replies.get(i), "usage " + tenant);
            if (!fields.isEmpty()) {
                usage.add(new DailyUsage(today.minusDays(i), field(fields, "invocations"), field(fields, "errors"),
                        field(fields, "throttles"), field(fields, "fuel")));
            }
        }
        return usage;
    }

    @Override
    public void forget(TenantId tenant) {
        LocalDate today = today();
        String[] keys = new String[RETENTION_DAYS];
        for (int i = 0; i < RETENTION_DAYS; i++) {
            keys[i] = key(tenant, today.minusDays(i));
        }
        try {
            // One DEL per key: in a cluster the days hash to different slots.
            List<CompletableFuture<Long>> deletes = new ArrayList<>();
            for (String key : keys) {
                deletes.add(redis.commands().del(key).toCompletableFuture());
            }
            redis.await(CompletableFuture.allOf(deletes.toArray(CompletableFuture[]::new)), "forget " + tenant);
        } catch (TenancyException.QuotaStoreUnavailable e) {
            LOG.log(Level.WARNING, "usage of " + tenant + " not deleted: " + e.getMessage()
                    + "; it expires within " + RETENTION_DAYS + " days");
        }
    }

    /** Waits, at most {@code timeout}, until every write already issued has been answered. */
    boolean drain(Duration timeout) {
        try {
            if (inFlight.tryAcquire(maxInFlight, timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                inFlight.release(maxInFlight);
                return true;
            }
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Usage events not recorded because Redis was away or too slow. */
    long dropped() {
        return dropped.sum();
    }

    String key(TenantId tenant, LocalDate day) {
        return prefix + tenant.value() + ":" + day;
    }

    private LocalDate today() {
        return LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
    }

    private static long field(Map<String, byte[]> fields, String name) {
        byte[] value = fields.get(name);
        return value == null ? 0 : Long.parseLong(new String(value, StandardCharsets.US_ASCII));
    }
}
