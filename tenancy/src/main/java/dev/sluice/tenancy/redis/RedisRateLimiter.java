package dev.sluice.tenancy.redis;

import dev.sluice.tenancy.plan.Plan;
import dev.sluice.tenancy.quota.Quotas;

import dev.sluice.tenancy.TenancyException;
import dev.sluice.tenancy.TenantUid;
import dev.sluice.tenancy.quota.Bandwidths;
import dev.sluice.tenancy.quota.QuotaPolicy;
import dev.sluice.tenancy.quota.RateDecision;
import dev.sluice.tenancy.quota.RateLimiter;

import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.TimeMeter;
import io.github.bucket4j.TokensInheritanceStrategy;
import io.github.bucket4j.distributed.BucketProxy;
import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.proxy.ProxyManager;
import io.github.bucket4j.distributed.proxy.optimization.Optimizations;
import io.github.bucket4j.redis.lettuce.Bucket4jLettuce;
import io.github.bucket4j.redis.lettuce.RedisApi;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.ScriptOutputType;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Quotas shared by every gateway: one Bucket4j bucket per tenant and policy in Redis, key
 * {@code <prefix>rate:<tenant>:<policy>}, updated by compare-and-swap through Bucket4j's Lettuce proxy manager.
 *
 * <p>Exactness: every consumption is a CAS on the bucket's state, so concurrent gateways never admit more than the
 * bucket holds. Within one gateway, Bucket4j's batching optimisation merges the concurrent requests for one bucket into
 * one CAS round trip, so a hot tenant is limited by Redis round trips rather than by CAS retries.
 *
 * <p>Time: buckets refill by the gateway's wall clock (the injected {@link InstantSource}, the system clock in
 * production), as Bucket4j's CAS managers do; gateways' clocks must agree to well under a refill period (NTP).
 *
 * <p>Plan changes: the configuration lives in Redis with the bucket. When this gateway first uses a bucket, or sees its
 * policy differ from the one it last used, it compares with the stored configuration and replaces it
 * ({@link TokensInheritanceStrategy#ADDITIVE}, as the local limiter does) — so every gateway follows the new plan from
 * its next request on, since they all read the same stored configuration.
 *
 * <p>Expiry: a bucket's key expires once it would have refilled to full (plus a margin), so idle tenants cost Redis
 * nothing and an expired bucket comes back full — the same state it would have had.
 *
 * <p>Threading: thread-safe; one {@link BucketProxy} per bucket is cached so that batching sees all callers.
 */
public final class RedisRateLimiter implements RateLimiter {
    public static final Duration KEEP_AFTER_REFILL = Duration.ofSeconds(10);

    private final RedisConnection redis;
    private final ProxyManager<String> buckets;
    private final String prefix;
    private final ConcurrentHashMap<TenantUid, ConcurrentHashMap<String, PolicyBucket>> cached =
            new ConcurrentHashMap<>();

    public RedisRateLimiter(RedisConnection redis, InstantSource clock, Duration keepAfterRefill) {
        this.redis = Objects.requireNonNull(redis, "redis");
        Objects.requireNonNull(clock, "clock");
        this.prefix = redis.keyPrefix() + "rate:";
        RedisApi<String> api = api(redis);
        this.buckets = new Bucket4jLettuce.LettuceBasedProxyManagerBuilder<>(api)
                .clientClock(new TimeMeter() {
                    @Override
                    public long currentTimeNanos() {
                        Instant now = clock.instant();
                        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
                    }

                    @Override
                    public boolean isWallClockBased() {
                        return true;
                    }
                })
                .requestTimeout(redis.timeout())
                .expirationAfterWrite(ExpirationAfterWriteStrategy.basedOnTimeForRefillingBucketUpToMax(
                        keepAfterRefill))
                .build();
    }

    /**
     * Bucket4j's commands through whatever connection the holder has now. Generic in the key type on purpose: Bucket4j
     * passes keys in an {@code Object[]}, which a {@code String[]} parameter would fail to cast.
     */
    private static <K> RedisApi<K> api(RedisConnection redis) {
        return new RedisApi<>() {
            @Override
            public <V> RedisFuture<V> eval(String script, ScriptOutputType type, K[] keys, byte[][] params) {
                String[] names = new String[keys.length];
                for (int i = 0; i < keys.length; i++) {
                    names[i] = (String) keys[i];
                }
                return redis.commands().eval(script, type, names, params);
            }

            @Override
            public RedisFuture<byte[]> get(K key) {
                return redis.commands().get((String) key);
            }

            @Override
            public RedisFuture<?> delete(K key) {
                return redis.commands().del((String) key);
            }
        };
    }

    @Override
    public RateDecision tryAcquire(TenantUid tenant, QuotaPolicy policy) {
        Objects.requireNonNull(tenant, "tenant");
        Objects.requireNonNull(policy, "policy");
        ConcurrentHashMap<String, PolicyBucket> tenantBuckets =
                cached.computeIfAbsent(tenant, t -> new ConcurrentHashMap<>());
        PolicyBucket entry = tenantBuckets.get(policy.name());
        if (entry == null || !entry.policy.equals(policy)) {
            String key = key(tenant, policy.name());
            entry = tenantBuckets.compute(policy.name(), (name, current) ->
                    current != null && current.policy.equals(policy) ? current : new PolicyBucket(policy,
                            buckets.builder().withOptimization(Optimizations.batching())
                                    .build(key, Bandwidths.configuration(policy))));
        }
        try {
            if (!entry.verified) {
                entry.verify(buckets, key(tenant, policy.name()));
            }
            return Bandwidths.decision(policy, entry.bucket.tryConsumeAndReturnRemaining(1));
        } catch (TenancyException e) {
            throw e;
        } catch (RuntimeException e) {
            throw RedisConnection.unavailable("rate " + tenant + "/" + policy.name() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Takes {@code tokens} granted elsewhere (by a fallback while Redis was away) from the bucket, below zero if need
     * be, so that every gateway counts them. Only for a bucket this gateway used with this policy: returns false, and
     * debits nothing, when it did not (forgotten, or the plan changed meanwhile) so that the caller keeps it owed.
     * Bounded by the command timeout.
     */
    public boolean debit(TenantUid tenant, QuotaPolicy policy, long tokens) {
        ConcurrentHashMap<String, PolicyBucket> tenantBuckets = cached.get(tenant);
        PolicyBucket entry = tenantBuckets == null ? null : tenantBuckets.get(policy.name());
        if (entry == null || !entry.policy.equals(policy)) {
            return false;
        }
        try {
            entry.bucket.consumeIgnoringRateLimits(tokens);
            return true;
        } catch (TenancyException e) {
            throw e;
        } catch (RuntimeException e) {
            throw RedisConnection.unavailable("debit " + tenant + "/" + policy.name() + ": " + e.getMessage(), e);
        }
    }

    /** Deletes the buckets of the gateway's own policies and of any other this instance used for the tenant. */
    @Override
    public void forget(TenantUid tenant) {
        Set<String> names = new TreeSet<>(QuotaPolicy.GATEWAY_POLICIES);
        Map<String, PolicyBucket> known = cached.remove(tenant);
        if (known != null) {
            names.addAll(known.keySet());
        }
        // One DEL per key: in a cluster the buckets hash to different slots.
        List<CompletableFuture<Long>> deletes = new ArrayList<>();
        for (String name : names) {
            deletes.add(redis.commands().del(key(tenant, name)).toCompletableFuture());
        }
        redis.await(CompletableFuture.allOf(deletes.toArray(CompletableFuture[]::new)), "forget rates " + tenant);
    }

    String key(TenantUid tenant, String policyName) {
        return prefix + tenant.value() + ":" + policyName;
    }

    private static final class PolicyBucket {
        final QuotaPolicy policy;
        final BucketProxy bucket;
        volatile boolean verified;

        PolicyBucket(QuotaPolicy policy, BucketProxy bucket) {
            this.policy = policy;
            this.bucket = bucket;
        }

        /** Makes the stored configuration this policy's, once per policy seen by this gateway. */
        synchronized void verify(ProxyManager<String> buckets, String key) {
            if (verified) {
                return;
            }
            BucketConfiguration wanted = Bandwidths.configuration(policy);
            Optional<BucketConfiguration> stored = buckets.getProxyConfiguration(key);
            if (stored.isPresent() && !stored.get().equals(wanted)) {
                bucket.replaceConfiguration(wanted, TokensInheritanceStrategy.ADDITIVE);
            }
            verified = true;
        }
    }
}
