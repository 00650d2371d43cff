package dev.sluice.tenancy.redis;

import dev.sluice.tenancy.quota.RateLimiter;

import dev.sluice.tenancy.FakeClock;
import dev.sluice.tenancy.TenantUid;
import dev.sluice.tenancy.quota.QuotaPolicy;
import dev.sluice.tenancy.quota.RateDecision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.tenancy.testing.RedisServerExtension;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class RedisRateLimiterTest {
    static final TenantUid ACME = TenantUid.of("acme");
    static final TenantUid GLOBEX = TenantUid.of("globex");
    @RegisterExtension
    static final RedisServerExtension REDIS = new RedisServerExtension();

    final FakeClock clock = FakeClock.atEpochDay();
    SharedRedis redis;


    @BeforeEach
    void prefix() {
        redis = new SharedRedis(REDIS.server());
    }

    @AfterEach
    void close() throws Exception {
        redis.close();
    }

    RedisRateLimiter gateway() {
        return new RedisRateLimiter(redis.gateway(), clock, RedisRateLimiter.KEEP_AFTER_REFILL);
    }

    @Test
    void burstIsAdmittedWithRemainingCountingDownThenDeniedWithRetryAfter() {
        RedisRateLimiter limiter = gateway();
        QuotaPolicy limits = QuotaPolicy.rate(1, 3);

        for (long expectedRemaining = 2; expectedRemaining >= 0; expectedRemaining--) {
            RateDecision decision = limiter.tryAcquire(ACME, limits);
            assertTrue(decision.granted());
            assertEquals(expectedRemaining, decision.remaining());
        }
        RateDecision denied = limiter.tryAcquire(ACME, limits);

        assertFalse(denied.granted());
        assertEquals(1, denied.retryAfterSeconds());
        assertEquals(3, denied.resetSeconds());
        assertTrue(limiter.tryAcquire(GLOBEX, limits).granted(), "tenants have separate buckets");
        clock.advance(Duration.ofSeconds(1));
        assertTrue(limiter.tryAcquire(ACME, limits).granted(), "refilled by the injected clock");
    }

    @Test
    void twoGatewaysShareOneBucketExactly() {
        RedisRateLimiter first = gateway();
        RedisRateLimiter second = gateway();
        QuotaPolicy limits = QuotaPolicy.perMinute(4);

        assertTrue(first.tryAcquire(ACME, limits).granted());
        assertEquals(2, second.tryAcquire(ACME, limits).remaining());
        assertEquals(1, first.tryAcquire(ACME, limits).remaining());
        assertEquals(0, second.tryAcquire(ACME, limits).remaining());

        assertFalse(first.tryAcquire(ACME, limits).granted());
        assertFalse(second.tryAcquire(ACME, limits).granted());
        assertEquals(1, redis.inspector().sync().exists(redis.prefix + "rate:acme:invocations-minute"));
    }

    @Test
    void raisedPolicyTakesEffectOnTheNextCallOnEveryGateway() {
        RedisRateLimiter first = gateway();
        RedisRateLimiter second = gateway();
        QuotaPolicy three = QuotaPolicy.perMinute(3);
        QuotaPolicy five = QuotaPolicy.perMinute(5);
        for (int i = 0; i < 3; i++) {
            assertTrue(first.tryAcquire(ACME, three).granted());
        }
        assertFalse(second.tryAcquire(ACME, three).granted());

        RateDecision raised = first.tryAcquire(ACME, five);

        assertTrue(raised.granted(), "two more tokens once the quota is raised");
        assertEquals(1, raised.remaining());
        assertTrue(second.tryAcquire(ACME, three).granted(),
                "a gateway still holding the old plan counts against the stored, new configuration");
        assertFalse(second.tryAcquire(ACME, five).granted());
    }

    @Test
    void gatewayThatFirstSeesAChangedPolicyReplacesTheStoredOne() {
        RedisRateLimiter old = gateway();
        for (int i = 0; i < 3; i++) {
            assertTrue(old.tryAcquire(ACME, QuotaPolicy.perMinute(3)).granted());
        }
        RedisRateLimiter restarted = gateway();

        RateDecision decision = restarted.tryAcquire(ACME, QuotaPolicy.perMinute(10));

        assertTrue(decision.granted());
        assertEquals(6, decision.remaining());
    }

    @Test
    void loweredPolicyCapsWhatIsLeft() {
        RedisRateLimiter first = gateway();
        RedisRateLimiter second = gateway();
        assertTrue(first.tryAcquire(ACME, QuotaPolicy.perMinute(10)).granted());
        assertTrue(second.tryAcquire(ACME, QuotaPolicy.perMinute(10)).granted());

        RateDecision lowered = first.tryAcquire(ACME, QuotaPolicy.perMinute(2));

        assertTrue(lowered.granted());
        assertEquals(1, lowered.remaining(), "eight left, capped at the new capacity of two, one taken");
        assertTrue(second.tryAcquire(ACME, QuotaPolicy.perMinute(10)).granted());
        assertFalse(second.tryAcquire(ACME, QuotaPolicy.perMinute(10)).granted(),
                "the other gateway counts against the lowered, stored configuration");
    }

    @Test
    void bucketKeysExpireOnceTheyWouldBeFullAgain() {
        // Redis expires keys in real time, so this test uses the real clock and a short margin.
        RedisRateLimiter limiter = new RedisRateLimiter(redis.gateway(), InstantSource.system(), Duration.ofMillis(100));
        limiter.tryAcquire(ACME, QuotaPolicy.rate(1000, 10));
        RedisCommands<String, String> keys = redis.inspector().sync();
        String key = redis.prefix + "rate:acme:rate";
        long ttl = keys.pttl(key);
        assertTrue(ttl > 0 && ttl <= 200, "ttl " + ttl + " ms: refill time (1 ms) plus the 100 ms margin");

        long deadline = System.nanoTime() + Duration.ofSeconds(3).toNanos();
        while (keys.exists(key) == 1 && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertEquals(0, keys.exists(key));
        assertTrue(limiter.tryAcquire(ACME, QuotaPolicy.rate(1000, 10)).granted());
    }

    @Test
    void forgetDeletesTheTenantsBuckets() {
        RedisRateLimiter limiter = gateway();
        limiter.tryAcquire(ACME, QuotaPolicy.perMinute(1));

        limiter.forget(ACME);

        RedisCommands<String, String> keys = redis.inspector().sync();
        long deadline = System.nanoTime() + Duration.ofSeconds(2).toNanos();
        while (keys.exists(redis.prefix + "rate:acme:invocations-minute") == 1 && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertTrue(limiter.tryAcquire(ACME, QuotaPolicy.perMinute(1)).granted());
    }

    /** Several gateways, each with several threads, asking for several times the quota at once. */
    static long hammer(List<RateLimiter> gateways, int threadsPerGateway, long attemptsPerThread,
                       QuotaPolicy policy) throws Exception {
        return hammer(gateways, threadsPerGateway, attemptsPerThread, Long.MAX_VALUE, policy);
    }

    /** As above, each thread stopping at {@code attemptsPerThread} or the {@code deadline} (nanoTime). */
    static long hammer(List<RateLimiter> gateways, int threadsPerGateway, long attemptsPerThread, long deadline,
                       QuotaPolicy policy) throws Exception {
        int threads = gateways.size() * threadsPerGateway;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch start = new CountDownLatch(1);
        AtomicLong admitted = new AtomicLong();
        List<Future<?>> done = new ArrayList<>();
        try {
            for (RateLimiter gateway : gateways) {
                for (int t = 0; t < threadsPerGateway; t++) {
                    done.add(pool.submit(() -> {
                        start.await();
                        for (long i = 0; i < attemptsPerThread
                                && (deadline == Long.MAX_VALUE || System.nanoTime() - deadline < 0); i++) {
                            if (gateway.tryAcquire(ACME, policy).granted()) {
                                admitted.incrementAndGet();
                            }
                        }
                        return null;
                    }));
                }
            }
            start.countDown();
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        return admitted.get();
    }

    @Test
    void threeGatewaysHammeringOneTenantAdmitExactlyTheQuota() throws Exception {
        QuotaPolicy perMinute = QuotaPolicy.perMinute(2_000);
        List<RateLimiter> gateways = List.of(gateway(), gateway(), gateway());

        // 3 gateways x 4 threads x 500 = 6,000 attempts: three times the quota within one (frozen) minute.
        long admitted = hammer(gateways, 4, 500, perMinute);

        System.out.printf("accuracy (per-minute 2000, 6000 attempts, 3 gateways x 4 threads): admitted %d%n",
                admitted);
        assertEquals(2_000, admitted);
    }

    @Test
    void threeGatewaysHammeringARateOverRealTimeAdmitWithinOnePercent() throws Exception {
        // 500/s with a burst of 100 over the real clock: expected = 100 + 500 x elapsed seconds.
        InstantSource wall = InstantSource.system();
        List<RateLimiter> gateways = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            gateways.add(new RedisRateLimiter(redis.gateway(), wall, RedisRateLimiter.KEEP_AFTER_REFILL));
        }
        QuotaPolicy rate = QuotaPolicy.rate(500, 100);
        List<RateLimiter> timed = new ArrayList<>();
        long stopAt = System.nanoTime() + Duration.ofMillis(2000).toNanos();
        AtomicLong first = new AtomicLong(Long.MAX_VALUE);
        AtomicLong last = new AtomicLong();
        for (RateLimiter g : gateways) {
            timed.add(new RateLimiter() {
                @Override
                public RateDecision tryAcquire(TenantUid tenant, QuotaPolicy policy) {
                    long before = System.nanoTime();
                    RateDecision decision = g.tryAcquire(tenant, policy);
                    if (decision.granted()) {
                        // The bucket saw the request somewhere between sending and answer: take the middle.
                        long seen = before + (System.nanoTime() - before) / 2;
                        first.accumulateAndGet(seen, Math::min);
                        last.accumulateAndGet(seen, Math::max);
                    }
                    return decision;
                }

                @Override
                public void forget(TenantUid tenant) {}
            });
        }

        long admitted = hammer(timed, 4, Long.MAX_VALUE, stopAt, rate);

        double elapsed = (last.get() - first.get()) / 1e9;
        double expected = 100 + 500 * elapsed;
        System.out.printf("accuracy (500/s burst 100, 2 s real time, 3 gateways x 4 threads): admitted %d,"
                + " expected %.0f (%.2f%%)%n", admitted, expected, 100.0 * (admitted - expected) / expected);
        assertTrue(Math.abs(admitted - expected) <= expected * 0.01,
                "admitted " + admitted + ", expected " + expected);
    }
}
