package dev.sluice.tenancy.quota;

import dev.sluice.tenancy.Tenant;

import dev.sluice.tenancy.TenancyException;
import dev.sluice.tenancy.TenantId;
import dev.sluice.tenancy.TenantUid;
import dev.sluice.tenancy.internal.RateLimitedLog;
import dev.sluice.tenancy.local.DayCounters;
import dev.sluice.tenancy.local.LocalConcurrencyLimiter;
import dev.sluice.tenancy.local.LocalFuelBudget;
import dev.sluice.tenancy.local.LocalRateLimiter;
import dev.sluice.tenancy.local.LocalUsageLedger;
import dev.sluice.tenancy.redis.RedisConcurrencyLimiter;
import dev.sluice.tenancy.redis.RedisConnection;
import dev.sluice.tenancy.redis.RedisFuelBudget;
import dev.sluice.tenancy.redis.RedisRateLimiter;
import dev.sluice.tenancy.redis.RedisSettings;
import dev.sluice.tenancy.redis.RedisUsageLedger;
import dev.sluice.tenancy.usage.UsageLedger;

import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.UnaryOperator;

/**
 * Everything a gateway enforces and records per tenant: the rate quotas, in-flight invocations, the daily fuel budget
 * and the usage ledger — either in this process ({@link #local}) or shared by every replica through Redis
 * ({@link #redis}). The gateway builds one at start and closes it at shutdown.
 *
 * <p>With Redis, every quota command is bounded by {@link RedisSettings#commandTimeout()}. When Redis does not answer,
 * each tenant's {@link FailPolicy} decides: fail-open serves from local quotas that cannot exceed this replica's share
 * of what remained (see {@link Failover}); fail-closed throws {@link TenancyException.QuotaStoreUnavailable}. A
 * circuit breaker stops asking Redis only after a sustained failure rate ({@link RedisSettings#breaker()}); before
 * that a failed call throws {@link TenancyException.QuotaStoreUnavailable} alone, and Redis is used again once the
 * breaker's probes succeed.
 * Usage is recorded without waiting and written to Redis in batches; while Redis is away it is kept (bounded) and
 * written, exactly once, when Redis answers again ({@link #usageBuffered()}); what is lost is counted in
 * {@link #usageDropped()}.
 */
public final class Quotas implements AutoCloseable {
    static final Duration LOG_INTERVAL = Duration.ofSeconds(10);
    /** How soon after a failed write of usage the next event may try again (the periodic flush also retries). */
    static final Duration USAGE_RETRY_INTERVAL = Duration.ofSeconds(1);
    /** Tenant-days of usage that may wait for Redis (about 150 bytes each); events beyond are dropped and counted. */
    static final int USAGE_MAX_PENDING = 100_000;
    private static final System.Logger LOG = System.getLogger(Quotas.class.getName());

    private final RateLimiter rates;
    private final ConcurrencyLimiter concurrency;
    private final FuelBudget fuel;
    private final UsageLedger usage;
    private final Runnable flush;
    private final Failover failover;
    private final RedisUsageLedger redisUsage;
    private final RedisConnection redis;

    private Quotas(RateLimiter rates, ConcurrencyLimiter concurrency, FuelBudget fuel, UsageLedger usage,
                   Runnable flush, Failover failover, RedisUsageLedger redisUsage, RedisConnection redis) {
        this.rates = rates;
        this.concurrency = concurrency;
        this.fuel = fuel;
        this.usage = usage;
        this.flush = flush;
        this.failover = failover;
        this.redisUsage = redisUsage;
        this.redis = redis;
    }

    /**
     * Quotas counted in this process. On {@link #flush} the counts per UTC day ({@code invocations-per-day},
     * {@code fuel-per-day}) are written to {@code day-quotas.json} and usage to {@code usage.json} in {@code dataDir};
     * both are loaded here, so a restart continues the day instead of starting a fresh one.
     *
     * @throws TenancyException.StorageFailure naming the file when either cannot be read exactly
     */
    public static Quotas local(Path dataDir, InstantSource clock, LongSupplier nanoTime) {
        Objects.requireNonNull(dataDir, "dataDir");
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(nanoTime, "nanoTime");
        DayCounters days = DayCounters.open(dataDir, clock);
        LocalUsageLedger usage = LocalUsageLedger.open(dataDir, clock);
        Runnable flush = () -> {
            try {
                days.flush();
            } finally {
                usage.flush();
            }
        };
        return new Quotas(new LocalRateLimiter(nanoTime, clock, days), new LocalConcurrencyLimiter(nanoTime),
                new LocalFuelBudget(clock, days), usage, flush, null, null, null);
    }

    /** Quotas shared through Redis, each tenant failing over by {@link RedisSettings#failPolicy()}. */
    public static Quotas redis(RedisSettings settings, InstantSource clock, LongSupplier nanoTime) {
        Objects.requireNonNull(settings, "settings");
        return redis(settings, clock, nanoTime, tenant -> settings.failPolicy());
    }

    /**
     * Quotas shared through Redis (one client and connection for all of them; Redis Cluster when
     * {@link RedisSettings#cluster()}).
     *
     * @param failPolicy each tenant's policy when Redis does not answer (a tenant or plan override, else the default)
     */
    public static Quotas redis(RedisSettings settings, InstantSource clock, LongSupplier nanoTime,
                               Function<TenantId, FailPolicy> failPolicy) {
        Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(nanoTime, "nanoTime");
        Objects.requireNonNull(failPolicy, "failPolicy");
        RedisConnection redis = RedisConnection.open(settings);
        RateLimitedLog log = new RateLimitedLog(LOG, nanoTime, LOG_INTERVAL);
        Failover failover = new Failover(failPolicy, settings.replicas(), nanoTime, settings.breaker(), log);
        RedisUsageLedger usage = new RedisUsageLedger(redis, clock, nanoTime, USAGE_MAX_PENDING, USAGE_RETRY_INTERVAL,
                log);
        RedisRateLimiter sharedRates = new RedisRateLimiter(redis, clock, RedisRateLimiter.KEEP_AFTER_REFILL);
        RedisFuelBudget sharedFuel = new RedisFuelBudget(redis, clock);
        return new Quotas(
                failover.rates(sharedRates, new LocalRateLimiter(nanoTime, clock, DayCounters.inMemory(clock)),
                        sharedRates::debit),
                failover.concurrency(new RedisConcurrencyLimiter(redis, clock), new LocalConcurrencyLimiter(nanoTime)),
                failover.fuel(sharedFuel, new LocalFuelBudget(clock), sharedFuel),
                usage, () -> usage.drain(settings.commandTimeout().multipliedBy(10)), failover, usage, redis);
    }

    /**
     * The same quotas with each limiter seen through a decorator (the gateway's tracing): the same stores, counters
     * and connection, so close one of the two, never both.
     */
    public Quotas decorated(UnaryOperator<RateLimiter> rates, UnaryOperator<ConcurrencyLimiter> concurrency,
                            UnaryOperator<FuelBudget> fuel) {
        return new Quotas(rates.apply(this.rates), concurrency.apply(this.concurrency), fuel.apply(this.fuel), usage,
                flush, failover, redisUsage, redis);
    }

    public RateLimiter rates() {
        return rates;
    }

    public ConcurrencyLimiter concurrency() {
        return concurrency;
    }

    public FuelBudget fuel() {
        return fuel;
    }

    public UsageLedger usage() {
        return usage;
    }

    /**
     * Forgets everything counted for this creation of a tenant (it was deleted): rate buckets and day counts, leases,
     * fuel, usage. Best effort, and never throws: a part a shared store could not delete now is logged and left to
     * expire. Nothing depends on it being gone: a tenant created again under the name has another uid, which none of
     * it is keyed by.
     *
     * @return whether every part was forgotten
     */
    public boolean forget(TenantUid tenant) {
        Objects.requireNonNull(tenant, "tenant");
        return forget("rates", () -> rates.forget(tenant), tenant)
                & forget("in-flight leases", () -> concurrency.forget(tenant), tenant)
                & forget("fuel", () -> fuel.forget(tenant), tenant)
                & forget("usage", () -> usage.forget(tenant), tenant);
    }

    private static boolean forget(String what, Runnable forget, TenantUid tenant) {
        try {
            forget.run();
            return true;
        } catch (TenancyException e) {
            LOG.log(System.Logger.Level.WARNING, "deleted tenant " + tenant + ": " + what + " not deleted, left to "
                    + "expire (" + e.getMessage() + ")");
            return false;
        }
    }

    /**
     * Makes recorded usage and day counts durable: locally, written to their files; with Redis, usage waiting to be
     * written is sent (a batch that failed is retried at once) and waited for, bounded.
     */
    public void flush() {
        flush.run();
    }

    /** Requests served by local fallback quotas because Redis did not answer (fail-open); 0 for local quotas. */
    public long fallbacks() {
        return failover == null ? 0 : failover.fallbacks();
    }

    /** Requests refused because Redis did not answer (fail-closed); 0 for local quotas. */
    public long refusals() {
        return failover == null ? 0 : failover.refusals();
    }

    /**
     * Whether the quotas can be served as configured: always for local quotas; with Redis, once the first connection
     * was made (a gateway started while Redis was away is not ready until then).
     */
    public boolean ready() {
        return redis == null || redis.connected();
    }

    /** Invocations and fuel granted by the fail-open fallback and debited in Redis once it answered again. */
    public long debited() {
        return failover == null ? 0 : failover.debited();
    }

    /** How many times the circuit breaker stopped asking Redis; 0 for local quotas. */
    public long breakerOpenings() {
        return failover == null ? 0 : failover.breaker().timesOpened();
    }

    /**
     * Usage events lost: recorded while Redis was away beyond the bound on what may wait, or still unwritten when the
     * quotas closed; 0 for local quotas.
     */
    public long usageDropped() {
        return redisUsage == null ? 0 : redisUsage.dropped();
    }

    /** Usage events recorded and not yet written to Redis (it is away or slow); 0 for local quotas. */
    public long usageBuffered() {
        return redisUsage == null ? 0 : redisUsage.events();
    }

    /**
     * Flushes, then releases the Redis connection if there is one; usage Redis could still not take is counted as
     * dropped and logged.
     */
    @Override
    public void close() {
        try {
            flush();
        } finally {
            if (redis != null) {
                try {
                    redisUsage.abandon();
                } finally {
                    redis.close();
                }
            }
        }
    }
}
