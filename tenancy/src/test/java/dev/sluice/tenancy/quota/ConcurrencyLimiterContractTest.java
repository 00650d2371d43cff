package dev.sluice.tenancy.quota;

import dev.sluice.tenancy.FakeClock;
import dev.sluice.tenancy.TenancyException;
import dev.sluice.tenancy.TenantUid;
import dev.sluice.tenancy.local.LocalConcurrencyLimiter;
import dev.sluice.tenancy.redis.RedisConcurrencyLimiter;
import dev.sluice.tenancy.redis.SharedRedis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.tenancy.quota.ConcurrencyLimiter.ConcurrencyDecision;
import dev.sluice.tenancy.testing.RedisServerExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The same contract for the Redis leases (several gateways) and the in-process ones, both on a fake clock. */
class ConcurrencyLimiterContractTest {
    static final TenantUid ACME = TenantUid.of("acme");
    static final TenantUid GLOBEX = TenantUid.of("globex");
    static final Duration TTL = Duration.ofSeconds(30);

    abstract static class Contract {
        final FakeClock clock = FakeClock.atEpochDay();

        /** A limiter of another gateway sharing the same store (the same one for local limiters). */
        abstract ConcurrencyLimiter gateway();

        @Test
        void grantsUpToTheLimitThenDenies() {
            ConcurrencyLimiter limiter = gateway();
            ConcurrencyDecision first = limiter.tryAcquire(ACME, 2, TTL);
            ConcurrencyDecision second = limiter.tryAcquire(ACME, 2, TTL);
            ConcurrencyDecision third = limiter.tryAcquire(ACME, 2, TTL);

            assertTrue(first.granted() && first.lease().isPresent());
            assertEquals(1, first.inFlight());
            assertEquals(2, second.inFlight());
            assertFalse(third.granted());
            assertTrue(third.lease().isEmpty());
            assertEquals(2, third.inFlight());
            assertTrue(limiter.tryAcquire(GLOBEX, 2, TTL).granted(), "tenants are separate");
        }

        @Test
        void releasingALeaseFreesItsSlotAndReleasingTwiceFreesNoMore() {
            ConcurrencyLimiter limiter = gateway();
            ConcurrencyDecision held = limiter.tryAcquire(ACME, 1, TTL);
            assertFalse(limiter.tryAcquire(ACME, 1, TTL).granted());

            held.lease().orElseThrow().close();
            ConcurrencyDecision next = limiter.tryAcquire(ACME, 1, TTL);
            held.lease().orElseThrow().close();

            assertTrue(next.granted());
            assertFalse(limiter.tryAcquire(ACME, 1, TTL).granted(), "a second close of the old lease is a no-op");
        }

        @Test
        void aLeaseNeverReleasedExpiresAfterItsTimeToLive() {
            ConcurrencyLimiter crashed = gateway();
            assertTrue(crashed.tryAcquire(ACME, 1, Duration.ofSeconds(10)).granted());
            ConcurrencyLimiter survivor = gateway();
            clock.advance(Duration.ofSeconds(9));
            assertFalse(survivor.tryAcquire(ACME, 1, TTL).granted());

            clock.advance(Duration.ofSeconds(1));

            ConcurrencyDecision decision = survivor.tryAcquire(ACME, 1, TTL);
            assertTrue(decision.granted());
            assertEquals(1, decision.inFlight());
        }

        @Test
        void limitHoldsUnderConcurrentAcquireFromSeveralGateways() throws Exception {
            List<ConcurrencyLimiter> gateways = List.of(gateway(), gateway(), gateway());
            ExecutorService pool = Executors.newFixedThreadPool(24);
            CountDownLatch start = new CountDownLatch(1);
            List<Future<ConcurrencyDecision>> decisions = new ArrayList<>();
            try {
                for (int i = 0; i < 24; i++) {
                    ConcurrencyLimiter gateway = gateways.get(i % 3);
                    decisions.add(pool.submit(() -> {
                        start.await();
                        return gateway.tryAcquire(ACME, 5, TTL);
                    }));
                }
                start.countDown();
                int granted = 0;
                for (Future<ConcurrencyDecision> d : decisions) {
                    ConcurrencyDecision decision = d.get();
                    granted += decision.granted() ? 1 : 0;
                    assertTrue(decision.inFlight() <= 5, "in flight " + decision.inFlight());
                }
                assertEquals(5, granted);
            } finally {
                pool.shutdownNow();
            }
        }

        @Test
        void badLimitsAreRefusedWithTheValueNamed() {
            ConcurrencyLimiter limiter = gateway();
            assertEquals("concurrency limit: 0 (expected: > 0)", assertThrows(TenancyException.InvalidInput.class,
                    () -> limiter.tryAcquire(ACME, 0, TTL)).getMessage());
            assertThrows(TenancyException.InvalidInput.class, () -> limiter.tryAcquire(ACME, 1, Duration.ZERO));
        }
    }

    @Nested
    class Local extends Contract {
        final LocalConcurrencyLimiter limiter = new LocalConcurrencyLimiter(clock);

        @Override
        ConcurrencyLimiter gateway() {
            return limiter;
        }
    }

    @RegisterExtension
    static final RedisServerExtension REDIS = new RedisServerExtension();


    @Nested
    class Redis extends Contract {
        final SharedRedis redis = new SharedRedis(REDIS.server());

        @AfterEach
        void close() throws Exception {
            redis.close();
        }

        @Override
        ConcurrencyLimiter gateway() {
            return new RedisConcurrencyLimiter(redis.gateway(), clock);
        }

        @Test
        void leasesLiveInASortedSetThatExpiresWithItsLongestLease() {
            gateway().tryAcquire(ACME, 3, Duration.ofSeconds(5));
            gateway().tryAcquire(ACME, 3, Duration.ofSeconds(60));
            gateway().tryAcquire(ACME, 3, Duration.ofSeconds(20));

            var keys = redis.inspector().sync();
            String key = redis.prefix + "conc:acme";
            assertEquals(3, keys.zcard(key));
            long ttl = keys.pttl(key);
            assertTrue(ttl > 55_000 && ttl <= 60_000, "ttl " + ttl);
        }
    }
}
