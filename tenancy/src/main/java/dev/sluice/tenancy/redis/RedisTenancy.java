package dev.sluice.tenancy.redis;

import dev.sluice.tenancy.TenantStore;
import dev.sluice.tenancy.auth.ApiKeys;
import dev.sluice.tenancy.plan.PlanStore;

import dev.sluice.tenancy.TenancyException;
import dev.sluice.tenancy.TenancyStores;
import dev.sluice.tenancy.internal.TtlCache;
import dev.sluice.tenancy.local.LocalTenancy;

import java.security.SecureRandom;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * Tenants, plans and keys in a Redis shared by every gateway replica (select with the {@code tenancy-store: redis}
 * setting; {@link LocalTenancy} is the single-process default).
 *
 * <p><b>Layout</b> (all under {@code <key-prefix>{tenancy}:}, one cluster slot): {@code tenant:<id>} hash,
 * {@code tenants} set, {@code plan:<name>} JSON string, {@code plans} set, {@code plan-tenants:<plan>} set,
 * {@code key:<id>} hash, {@code tenant-keys:<tenant>} sorted set, {@code key-seq} counter. See each store's class
 * comment for the fields. Secrets are never stored, only their SHA-256.
 *
 * <p><b>Visibility</b>: reads (key verification, tenant and plan lookups) go through a per-instance cache that
 * trusts an entry for {@code cacheTtl} (default {@value #DEFAULT_CACHE_TTL_MS} ms), so a change made through one
 * gateway — a revocation, a plan edit — reaches every other gateway within that ttl plus one read, and the gateway
 * that made it at once. On a hit, verify costs a map lookup and a SHA-256 and no network round trip; on a miss, one
 * round trip per store read (see {@code RedisTenancyTest} for measured numbers).
 *
 * <p><b>Failure</b>: every command is bounded by the settings' command timeout, then fails with
 * {@link TenancyException.StoreUnavailable}; cached entries keep answering until their ttl runs out. There is no
 * fail-open: an unauthenticated request cannot be admitted. Opening does not fail when Redis cannot be reached: it
 * keeps connecting in the background and {@link #ready()} is false until it succeeds.
 */
public final class RedisTenancy implements TenancyStores, AutoCloseable {
    public static final long DEFAULT_CACHE_TTL_MS = 500;
    static final int MAX_CACHED = 10_000;

    private final TenancyRedis redis;
    private final RedisTenantStore tenants;
    private final RedisPlanStore plans;
    private final RedisApiKeys keys;

    private RedisTenancy(TenancyRedis redis, InstantSource clock, Duration cacheTtl, LongSupplier nanoTime) {
        this.redis = redis;
        this.tenants = new RedisTenantStore(redis, clock, new SecureRandom(),
                new TtlCache<>(cacheTtl, nanoTime, MAX_CACHED));
        this.plans = new RedisPlanStore(redis, new TtlCache<>(cacheTtl, nanoTime, MAX_CACHED));
        this.keys = new RedisApiKeys(redis, clock, new SecureRandom(), cacheTtl, nanoTime);
    }

    /**
     * Connects with the default cache ttl.
     *
     * @throws TenancyException.InvalidInput when the URI is not a Redis URI
     */
    public static RedisTenancy open(RedisSettings settings, InstantSource clock) {
        return open(settings, clock, Duration.ofMillis(DEFAULT_CACHE_TTL_MS), System::nanoTime);
    }

    /**
     * @param cacheTtl how long a read may be reused: the bound on how late this instance sees others' changes;
     *                 zero reads Redis every time; at most one second
     * @param nanoTime monotonic nanoseconds, for the cache
     */
    public static RedisTenancy open(RedisSettings settings, InstantSource clock, Duration cacheTtl,
                                    LongSupplier nanoTime) {
        Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(cacheTtl, "cacheTtl");
        Objects.requireNonNull(nanoTime, "nanoTime");
        if (cacheTtl.isNegative() || cacheTtl.compareTo(Duration.ofSeconds(1)) > 0) {
            throw new TenancyException.InvalidInput("tenancy-cache-ttl-ms: " + cacheTtl.toMillis()
                    + " (expected: 0 to 1000)");
        }
        // The breaker follows Lettuce's reconnects, which run in real time, whatever clock the caches use.
        return new RedisTenancy(TenancyRedis.connect(settings, System::nanoTime), clock, cacheTtl, nanoTime);
    }

    @Override
    public TenantStore tenants() {
        return tenants;
    }

    @Override
    public PlanStore plans() {
        return plans;
    }

    @Override
    public ApiKeys keys() {
        return keys;
    }

    /** False until the first connection to Redis was made. */
    @Override
    public boolean ready() {
        return redis.connected();
    }

    @Override
    public void close() {
        redis.close();
    }
}
