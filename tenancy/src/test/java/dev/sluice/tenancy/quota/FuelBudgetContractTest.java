package dev.sluice.tenancy.quota;

import dev.sluice.tenancy.FakeClock;
import dev.sluice.tenancy.TenantUid;
import dev.sluice.tenancy.local.LocalFuelBudget;
import dev.sluice.tenancy.redis.RedisFuelBudget;
import dev.sluice.tenancy.redis.SharedRedis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.tenancy.quota.FuelBudget.FuelDecision;
import dev.sluice.tenancy.testing.RedisServerExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The same contract for the Redis daily budget (several gateways) and the in-process one, on a fake clock. */
class FuelBudgetContractTest {
    static final TenantUid ACME = TenantUid.of("acme");
    static final TenantUid GLOBEX = TenantUid.of("globex");

    abstract static class Contract {
        final FakeClock clock = new FakeClock(java.time.Instant.parse("2025-01-01T23:59:00Z"));

        abstract FuelBudget gateway();

        /** Fuel charged to the tenant today, read from the store. */
        abstract long used(TenantUid tenant);

        @Test
        void settlingRefundsWhatTheCallDidNotUse() {
            FuelBudget budget = gateway();
            FuelDecision reserved = budget.reserve(ACME, 1_000, 400);
            assertTrue(reserved.granted());
            assertEquals(600, reserved.remaining());
            assertEquals(60, reserved.resetSeconds(), "a minute to UTC midnight");

            reserved.reservation().orElseThrow().settle(150);
            reserved.reservation().orElseThrow().settle(0);

            awaitUsed(ACME, 150);
            assertEquals(850 - 500, budget.reserve(ACME, 1_000, 500).remaining(), "settling twice refunds once");
        }

        @Test
        void aReservationThatDoesNotFitIsDeniedWithWhatRemains() {
            FuelBudget budget = gateway();
            budget.reserve(ACME, 1_000, 700);

            FuelDecision denied = budget.reserve(ACME, 1_000, 400);

            assertFalse(denied.granted());
            assertTrue(denied.reservation().isEmpty());
            assertEquals(300, denied.remaining());
            assertTrue(budget.reserve(ACME, 1_000, 300).granted(), "an exact fit is granted");
            assertTrue(budget.reserve(GLOBEX, 1_000, 1_000).granted(), "tenants are separate");
        }

        @Test
        void usingMoreThanReservedIsChargedOnlyTheReservation() {
            FuelBudget budget = gateway();
            budget.reserve(ACME, 1_000, 100).reservation().orElseThrow().settle(5_000);
            awaitUsed(ACME, 100);
        }

        @Test
        void theBudgetStartsAfreshAtUtcMidnight() {
            FuelBudget budget = gateway();
            assertTrue(budget.reserve(ACME, 1_000, 1_000).granted());
            assertFalse(budget.reserve(ACME, 1_000, 1).granted());

            clock.advance(Duration.ofMinutes(1));

            FuelDecision tomorrow = budget.reserve(ACME, 1_000, 1);
            assertTrue(tomorrow.granted());
            assertEquals(999, tomorrow.remaining());
            assertEquals(86_400, tomorrow.resetSeconds());
        }

        @Test
        void manyConcurrentReservationsFromSeveralGatewaysNeverExceedTheBudget() throws Exception {
            List<FuelBudget> gateways = List.of(gateway(), gateway(), gateway());
            long budgetPerDay = 100_000;
            ExecutorService pool = Executors.newFixedThreadPool(12);
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Long>> charged = new ArrayList<>();
            try {
                for (int t = 0; t < 12; t++) {
                    FuelBudget gateway = gateways.get(t % 3);
                    charged.add(pool.submit(() -> {
                        start.await();
                        long mine = 0;
                        ThreadLocalRandom random = ThreadLocalRandom.current();
                        for (int i = 0; i < 200; i++) {
                            FuelDecision d = gateway.reserve(ACME, budgetPerDay, 1_000);
                            if (d.granted()) {
                                long used = random.nextLong(0, 1_001);
                                d.reservation().orElseThrow().settle(used);
                                mine += used;
                            }
                        }
                        return mine;
                    }));
                }
                start.countDown();
                long total = 0;
                for (Future<Long> f : charged) {
                    total += f.get();
                }
                assertTrue(total <= budgetPerDay, "used " + total + " of " + budgetPerDay);
                awaitUsed(ACME, total);
            } finally {
                pool.shutdownNow();
            }
        }

        /** Settling may be asynchronous: waits, bounded, for the store to show the charge. */
        void awaitUsed(TenantUid tenant, long expected) {
            long deadline = System.nanoTime() + Duration.ofSeconds(2).toNanos();
            while (used(tenant) != expected && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertEquals(expected, used(tenant));
        }
    }

    @Nested
    class Local extends Contract {
        final LocalFuelBudget budget = new LocalFuelBudget(clock);

        @Override
        FuelBudget gateway() {
            return budget;
        }

        @Override
        long used(TenantUid tenant) {
            return budget.used(tenant);
        }
    }

    @RegisterExtension
    static final RedisServerExtension REDIS = new RedisServerExtension();


    @Nested
    class Redis extends Contract {
        final SharedRedis redis = new SharedRedis(REDIS.server());
        RedisFuelBudget inspector;

        @AfterEach
        void close() throws Exception {
            redis.close();
        }

        @Override
        FuelBudget gateway() {
            return new RedisFuelBudget(redis.gateway(), clock);
        }

        @Override
        long used(TenantUid tenant) {
            if (inspector == null) {
                inspector = new RedisFuelBudget(redis.gateway(), clock);
            }
            return inspector.used(tenant);
        }

        @Test
        void daysAreHashesThatExpireAfterTwoDays() {
            gateway().reserve(ACME, 1_000, 10);

            var keys = redis.inspector().sync();
            String key = redis.prefix + "fuel:acme:2025-01-01";
            assertEquals("10", keys.hget(key, "used"));
            long ttl = keys.pttl(key);
            assertTrue(ttl > Duration.ofDays(2).minusMinutes(1).toMillis(), "ttl " + ttl);
        }
    }

}
