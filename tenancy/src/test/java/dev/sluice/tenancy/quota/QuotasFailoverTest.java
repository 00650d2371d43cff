package dev.sluice.tenancy.quota;

import dev.sluice.tenancy.TenancyException;
import dev.sluice.tenancy.redis.RedisSettings;

import dev.sluice.tenancy.FakeClock;
import dev.sluice.tenancy.TenantUid;
import dev.sluice.tenancy.redis.SharedRedis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.tenancy.quota.ConcurrencyLimiter.ConcurrencyDecision;
import dev.sluice.tenancy.testing.RedisTestServer;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.output.StatusOutput;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CommandType;
import java.time.Duration;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Redis taken away and brought back under {@link Quotas#redis}: fail-open falls back to this replica's share of what
 * remained of each quota, fail-closed refuses, both within the command timeout, and Redis is used again once it
 * answers.
 */
class QuotasFailoverTest {
    static final TenantUid ACME = TenantUid.of("acme");
    static final TenantUid STRICT = TenantUid.of("strict");
    static final Duration TIMEOUT = Duration.ofMillis(100);
    /** Each call must come back within twice the command timeout plus scheduling slack. */
    static final long BOUND_MILLIS = 2 * TIMEOUT.toMillis() + 100;
    static final QuotaPolicy TEN_A_MINUTE = QuotaPolicy.perMinute(10);
    static RedisTestServer server;

    final FakeClock clock = FakeClock.atEpochDay();
    final SharedRedis redis = new SharedRedis(server);
    long slowestMillis;

    @BeforeAll
    static void startRedis() {
        server = RedisTestServer.start();
        // Class loading and JIT make a JVM's very first quota calls slower than this test's 100 ms timeout.
        RedisSettings patient = new RedisSettings(server.uri(), false, Duration.ofSeconds(5), FailPolicy.FAIL_CLOSED,
                1, "warm-up:");
        FakeClock clock = FakeClock.atEpochDay();
        try (Quotas quotas = Quotas.redis(patient, clock, clock)) {
            for (int i = 0; i < 100; i++) {
                quotas.rates().tryAcquire(ACME, TEN_A_MINUTE);
                quotas.concurrency().tryAcquire(ACME, 1, Duration.ofSeconds(1)).lease().ifPresent(l -> l.close());
                quotas.fuel().reserve(ACME, 1_000_000, 1).reservation().ifPresent(r -> r.settle(1));
            }
        }
    }

    @AfterAll
    static void stopRedis() {
        server.close();
    }

    @AfterEach
    void restoreRedis() throws Exception {
        redis.close();
        if (!server.listening()) {
            server.startServer();
        }
    }

    Quotas quotas() {
        return quotas(TIMEOUT);
    }

    Quotas quotas(Duration timeout) {
        RedisSettings settings = new RedisSettings(server.uri(), false, timeout, FailPolicy.FAIL_OPEN, 2,
                redis.prefix);
        return Quotas.redis(settings, clock, clock,
                tenant -> tenant.equals(STRICT.name()) ? FailPolicy.FAIL_CLOSED : settings.failPolicy());
    }

    <T> T timed(Supplier<T> call) {
        long start = System.nanoTime();
        try {
            return call.get();
        } finally {
            long millis = (System.nanoTime() - start) / 1_000_000;
            slowestMillis = Math.max(slowestMillis, millis);
            assertTrue(millis < BOUND_MILLIS, "call took " + millis + " ms (bound " + BOUND_MILLIS + " ms)");
        }
    }

    @Test
    void withRedisStoppedFailOpenTenantsGetTheirReplicaShareOfWhatRemainedWithinTheTimeout() {
        try (Quotas quotas = quotas()) {
            assertEquals(9, quotas.rates().tryAcquire(ACME, TEN_A_MINUTE).remaining());
            quotas.fuel().reserve(ACME, 1_000, 100).reservation().orElseThrow().settle(100);
            assertEquals(0, quotas.fallbacks());

            server.stop();
            failOver(quotas);
            long fallbacksBefore = quotas.fallbacks();
            long refusalsBefore = quotas.refusals();

            // Nine remained of ten a minute, over two replicas: four here.
            for (int i = 0; i < 4; i++) {
                assertTrue(timed(() -> quotas.rates().tryAcquire(ACME, TEN_A_MINUTE)).granted());
            }
            assertFalse(timed(() -> quotas.rates().tryAcquire(ACME, TEN_A_MINUTE)).granted());
            // Four in flight over two replicas: two here.
            ConcurrencyDecision one = timed(() -> quotas.concurrency().tryAcquire(ACME, 4, Duration.ofMinutes(1)));
            ConcurrencyDecision two = timed(() -> quotas.concurrency().tryAcquire(ACME, 4, Duration.ofMinutes(1)));
            assertTrue(one.granted() && two.granted());
            assertFalse(timed(() -> quotas.concurrency().tryAcquire(ACME, 4, Duration.ofMinutes(1))).granted());
            one.lease().orElseThrow().close();
            // Nine hundred fuel remained of a thousand a day, over two replicas: four hundred and fifty here.
            assertEquals(50, timed(() -> quotas.fuel().reserve(ACME, 1_000, 400)).remaining());
            assertFalse(timed(() -> quotas.fuel().reserve(ACME, 1_000, 51)).granted());
            quotas.usage().invocation(ACME, false, 1);

            assertEquals(10, quotas.fallbacks() - fallbacksBefore);
            assertEquals(0, quotas.refusals() - refusalsBefore);
            assertTrue(quotas.usageBuffered() >= 1, "usage Redis could not take is kept for later");
            System.out.printf("failover: slowest fail-open call with Redis stopped %d ms (timeout %d ms)%n",
                    slowestMillis, TIMEOUT.toMillis());
        }
    }

    @Test
    void withRedisStoppedFailClosedTenantsAreRefusedFastWhileOthersFallBack() {
        try (Quotas quotas = quotas()) {
            assertTrue(quotas.rates().tryAcquire(STRICT, TEN_A_MINUTE).granted());
            assertTrue(quotas.rates().tryAcquire(ACME, TEN_A_MINUTE).granted());
            server.stop();
            failOver(quotas);
            long fallbacksBefore = quotas.fallbacks();
            long refusalsBefore = quotas.refusals();

            assertThrows(TenancyException.QuotaStoreUnavailable.class,
                    () -> timed(() -> quotas.rates().tryAcquire(STRICT, TEN_A_MINUTE)));
            assertThrows(TenancyException.QuotaStoreUnavailable.class,
                    () -> timed(() -> quotas.concurrency().tryAcquire(STRICT, 1, Duration.ofMinutes(1))));
            assertThrows(TenancyException.QuotaStoreUnavailable.class,
                    () -> timed(() -> quotas.fuel().reserve(STRICT, 1_000, 1)));
            assertTrue(timed(() -> quotas.rates().tryAcquire(ACME, TEN_A_MINUTE)).granted(),
                    "the default policy of this installation is fail-open");

            assertEquals(3, quotas.refusals() - refusalsBefore);
            assertEquals(1, quotas.fallbacks() - fallbacksBefore);
        }
    }

    @Test
    void oneSlowCallFailsAloneAndTheNextCallsAreCountedInRedisAgain() {
        QuotaPolicy day = QuotaPolicy.perDay(300);
        try (Quotas quotas = quotas()) {
            assertEquals(299, quotas.rates().tryAcquire(ACME, day).remaining());
            RedisCommands<String, String> admin = redis.inspector().sync();

            admin.clientPause(2_000);
            long slow;
            try {
                long start = System.nanoTime();
                assertThrows(TenancyException.QuotaStoreUnavailable.class,
                        () -> timed(() -> quotas.rates().tryAcquire(ACME, day)),
                        "not granted locally: Redis may have counted it");
                slow = (System.nanoTime() - start) / 1_000_000;
            } finally {
                unpause(admin);
            }
            assertEquals(1, quotas.refusals());

            RateDecision last = null;
            for (int i = 0; i < 20; i++) {
                last = quotas.rates().tryAcquire(ACME, day);
            }

            assertEquals(0, quotas.fallbacks(), "no call was served locally");
            assertEquals(1, quotas.refusals(), "the calls after it went to Redis");
            assertEquals(0, quotas.breakerOpenings());
            // 1 + 20 taken in Redis, and the slow call too if its script had been sent before it timed out.
            assertTrue(last.remaining() == 300 - 21 || last.remaining() == 300 - 22,
                    "counted in Redis, not locally: " + last);
            System.out.printf("failover: one slow call (CLIENT PAUSE) took %d ms (timeout %d ms); the next 20 were"
                    + " answered by Redis%n", slow, TIMEOUT.toMillis());
        }
    }

    @Test
    void whenRedisStallsTheBreakerOpensOnASustainedFailureRateAndLaterCallsSkipRedis() {
        try (Quotas quotas = quotas()) {
            assertTrue(quotas.rates().tryAcquire(ACME, TEN_A_MINUTE).granted());
            RedisCommands<String, String> admin = redis.inspector().sync();

            int stalledCalls = 0;
            long next;
            admin.clientPause(5_000);
            try {
                while (quotas.breakerOpenings() == 0) {
                    try {
                        timed(() -> quotas.rates().tryAcquire(ACME, TEN_A_MINUTE));
                    } catch (TenancyException.QuotaStoreUnavailable failedAlone) {
                        // Failed while the breaker was still closed: answered 503, not served locally.
                    }
                    stalledCalls++;
                    assertTrue(stalledCalls <= BreakerSettings.DEFAULTS.minFailures(), "breaker still closed");
                }
                long start = System.nanoTime();
                quotas.rates().tryAcquire(ACME, TEN_A_MINUTE);
                next = (System.nanoTime() - start) / 1_000_000;
            } finally {
                unpause(admin);
            }

            assertEquals(BreakerSettings.DEFAULTS.minFailures(), stalledCalls, "opened on the fifth failure");
            assertTrue(next < 20, "the next call skips Redis: " + next + " ms");
            assertEquals(stalledCalls, quotas.refusals(), "the failures, the one that opened it included");
            assertEquals(1, quotas.fallbacks(), "the next call");
            System.out.printf("failover: stalled Redis (CLIENT PAUSE): breaker open after %d calls of %d ms, next"
                    + " call %d ms%n", stalledCalls, TIMEOUT.toMillis(), next);
        }
    }

    @Test
    void theFallbackNeverGrantsMoreThanThisReplicasShareOfWhatRemainedOfADayQuotaAndFuel() {
        QuotaPolicy day = QuotaPolicy.perDay(300);
        // A patient timeout while Redis is up: a cold call timing out would (rightly) take from the allowance.
        try (Quotas quotas = quotas(Duration.ofSeconds(5))) {
            for (int i = 0; i < 290; i++) {
                assertTrue(quotas.rates().tryAcquire(ACME, day).granted());
            }
            assertEquals(0, quotas.fallbacks(), "all counted in Redis");
            quotas.fuel().reserve(ACME, 1_000, 900).reservation().orElseThrow().settle(900);
            server.stop();
            failOver(quotas);

            // Ten remained, over two replicas: five here, however many calls come.
            int granted = 0;
            for (int i = 0; i < 300; i++) {
                RateDecision decision = timed(() -> quotas.rates().tryAcquire(ACME, day));
                granted += decision.granted() ? 1 : 0;
                if (!decision.granted()) {
                    assertTrue(decision.retryAfterSeconds() > 0, decision.toString());
                }
            }
            assertEquals(5, granted, "5 of the 10 that remained, not 150 of a fresh day");
            // A hundred fuel remained: fifty here, and unused fuel comes back to the allowance.
            FuelBudget.FuelDecision fuel = quotas.fuel().reserve(ACME, 1_000, 40);
            assertEquals(10, fuel.remaining());
            fuel.reservation().orElseThrow().settle(30);
            assertTrue(quotas.fuel().reserve(ACME, 1_000, 20).granted(), "10 unused came back");
            assertFalse(quotas.fuel().reserve(ACME, 1_000, 1).granted());

            // The next day, which began while Redis was away, the quota has refilled there: a fresh share of it.
            clock.advance(Duration.ofDays(1));
            assertThrows(TenancyException.QuotaStoreUnavailable.class, () -> quotas.rates().tryAcquire(ACME, day),
                    "the probe, answered 503 alone when it fails");
            granted = 0;
            for (int i = 0; i < 300; i++) {
                granted += quotas.rates().tryAcquire(ACME, day).granted() ? 1 : 0;
            }
            assertEquals(150, granted, "half of a full day's 300");
            assertTrue(quotas.fuel().reserve(ACME, 1_000, 500).granted(), "half of a full day's 1000");
            assertFalse(quotas.fuel().reserve(ACME, 1_000, 1).granted());
        }
    }

    @Test
    void whatTheFallbackGrantedIsCountedInRedisOnceItAnswersSoTheDayStaysWithinItsQuota() {
        QuotaPolicy day = QuotaPolicy.perDay(300);
        try (Quotas quotas = quotas()) {
            for (int i = 0; i < 290; i++) {
                assertTrue(quotas.rates().tryAcquire(ACME, day).granted());
            }
            quotas.fuel().reserve(ACME, 1_000, 900).reservation().orElseThrow().settle(900);
            RedisCommands<String, String> admin = redis.inspector().sync();
            int local = 0;
            admin.clientPause(10_000); // Redis stalls but keeps its counts, unlike a restart
            try {
                failOver(quotas);
                for (int i = 0; i < 50; i++) {
                    local += timed(() -> quotas.rates().tryAcquire(ACME, day)).granted() ? 1 : 0;
                }
                quotas.fuel().reserve(ACME, 1_000, 40).reservation().orElseThrow().settle(40);
            } finally {
                unpause(admin);
            }
            assertEquals(5, local, "the share of the 10 that remained, over two replicas");

            int after = 0;
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (quotas.debited() == 0) {
                assertTrue(System.nanoTime() < deadline, "Redis not used again within 10 s");
                clock.advance(BreakerSettings.DEFAULTS.openFor());
                after += quotas.rates().tryAcquire(ACME, day).granted() ? 1 : 0;
            }
            for (int i = 0; i < 50; i++) {
                after += quotas.rates().tryAcquire(ACME, day).granted() ? 1 : 0;
            }

            assertEquals(5, quotas.debited(), "the local grants, counted in Redis");
            FuelBudget.FuelDecision fuel = quotas.fuel().reserve(ACME, 1_000, 60);
            assertTrue(fuel.granted() && fuel.remaining() == 40, "Redis did not know the 40 burnt meanwhile: " + fuel);
            assertEquals(5 + 40, quotas.debited(), "now it does");
            assertFalse(quotas.fuel().reserve(ACME, 1_000, 1).granted(), "900 + 40 + 60 of 1000");
            int total = 290 + local + after;
            System.out.printf("failover: day quota 300: 290 before, %d by the fallback, %d after Redis answered"
                    + " again (total %d; invocations and fuel debited in Redis: %d)%n", local, after, total,
                    quotas.debited());
            // Calls that timed out before the breaker opened may have been counted in Redis without being admitted.
            assertTrue(total <= 300 && total >= 300 - BreakerSettings.DEFAULTS.minFailures(), "total " + total);
        }
    }

    @Test
    void fuelAFallbackReservedAndDidNotUseIsRefundedWhenRedisAnsweredDuringTheCall() {
        long budget = 1_000_000;
        try (Quotas quotas = quotas()) {
            quotas.fuel().reserve(ACME, budget, 1_000).reservation().orElseThrow().settle(1_000);
            RedisCommands<String, String> admin = redis.inspector().sync();
            FuelBudget.Reservation call;
            admin.clientPause(10_000);
            try {
                failOver(quotas);
                call = timed(() -> quotas.fuel().reserve(ACME, budget, 100_000)).reservation().orElseThrow();
            } finally {
                unpause(admin);
            }
            // Redis answers while the call runs: the whole reservation is debited there.
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (quotas.debited() == 0) {
                assertTrue(System.nanoTime() < deadline, "Redis not used again within 10 s");
                clock.advance(BreakerSettings.DEFAULTS.openFor());
                try {
                    quotas.fuel().reserve(ACME, budget, 1).reservation().ifPresent(r -> r.settle(0));
                } catch (TenancyException.QuotaStoreUnavailable failedProbe) {
                    // Not back yet.
                }
            }
            assertEquals(100_000, quotas.debited());
            call.settle(10);

            assertEquals(10, quotas.debited(), "the call used 10: the rest was refunded in Redis");
            FuelBudget.FuelDecision next = quotas.fuel().reserve(ACME, budget, 1);
            assertEquals(budget - 1_000 - 10 - 1, next.remaining(), "charged what was used, not 100,000");
        }
    }

    @Test
    void aReplicaThatNeverSawAPeriodQuotasCountRefusesItRatherThanGrantAFreshOne() {
        QuotaPolicy day = QuotaPolicy.perDay(300);
        try (Quotas quotas = quotas()) {
            server.stop();
            failOver(quotas);
            long refusalsBefore = quotas.refusals();
            assertThrows(TenancyException.QuotaStoreUnavailable.class,
                    () -> timed(() -> quotas.rates().tryAcquire(ACME, day)));
            assertThrows(TenancyException.QuotaStoreUnavailable.class,
                    () -> timed(() -> quotas.fuel().reserve(ACME, 1_000, 1)));
            assertTrue(timed(() -> quotas.rates().tryAcquire(ACME, QuotaPolicy.rate(10, 10))).granted(),
                    "a request rate refills by itself: its share is served");
            assertEquals(2, quotas.refusals() - refusalsBefore);
        }
    }

    /**
     * With Redis away, fails calls of another tenant until the breaker opens: before that each failed call is answered
     * 503 alone; from then on the gateway fails over. Takes ten seconds of the fake clock.
     */
    void failOver(Quotas quotas) {
        // The calls Redis answered before the outage leave the window, as they would after its ten seconds.
        clock.advance(BreakerSettings.DEFAULTS.window());
        TenantUid other = TenantUid.of("other");
        for (int calls = 1; quotas.breakerOpenings() == 0; calls++) {
            assertTrue(calls <= 100, "breaker not open after 100 failed calls");
            try {
                timed(() -> quotas.rates().tryAcquire(other, QuotaPolicy.rate(1_000, 1_000)));
            } catch (TenancyException.QuotaStoreUnavailable failedAlone) {
                // Expected until the breaker opens.
            }
        }
    }

    static void unpause(RedisCommands<String, String> admin) {
        // CLIENT UNPAUSE (Redis 6.2) has no Lettuce method of its own.
        admin.dispatch(CommandType.CLIENT, new StatusOutput<>(StringCodec.UTF8),
                new CommandArgs<>(StringCodec.UTF8).add("UNPAUSE"));
    }

    @Test
    void whenRedisComesBackItIsUsedAgainWithoutAReset() {
        try (Quotas quotas = quotas()) {
            quotas.rates().tryAcquire(ACME, TEN_A_MINUTE);
            server.stop();
            failOver(quotas);
            assertTrue(quotas.rates().tryAcquire(ACME, TEN_A_MINUTE).granted());
            long fallbacks = quotas.fallbacks();

            server.startServer();
            long back = awaitRedisPath(quotas, TEN_A_MINUTE);

            assertEquals(fallbacks, quotas.fallbacks() - back, "only the calls before Redis answered fell back");
            // The restarted Redis is empty: a fresh bucket, counted there, less what was granted locally meanwhile.
            assertEquals(8 - quotas.debited(), quotas.rates().tryAcquire(ACME, TEN_A_MINUTE).remaining());
            System.out.printf("failover: Redis used again after %d fallback calls%n", back);
        }
    }

    @Test
    void aGatewayStartedWhileRedisIsDownIsNotReadyFallsBackThenUsesRedisOnceItAnswers() {
        server.stop();
        try (Quotas quotas = quotas()) {
            assertFalse(quotas.ready());
            failOver(quotas);
            long fallbacksBefore = quotas.fallbacks();
            assertTrue(timed(() -> quotas.rates().tryAcquire(ACME, QuotaPolicy.rate(10, 10))).granted());
            assertEquals(1, quotas.fallbacks() - fallbacksBefore);

            server.startServer();
            awaitRedisPath(quotas, QuotaPolicy.rate(10, 10));
            assertTrue(quotas.ready(), "connected in the background, without a restart");
        }
    }

    /**
     * Advances the clock past the retry interval and asks again until a call is answered by Redis (bounded); returns
     * how many calls fell back meanwhile.
     */
    long awaitRedisPath(Quotas quotas, QuotaPolicy policy) {
        long before = quotas.fallbacks();
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline) {
            clock.advance(BreakerSettings.DEFAULTS.openFor());
            long fallbacks = quotas.fallbacks();
            try {
                timed(() -> quotas.rates().tryAcquire(ACME, policy));
                if (quotas.fallbacks() == fallbacks) {
                    return fallbacks - before;
                }
            } catch (TenancyException.QuotaStoreUnavailable failedProbe) {
                // Redis not back yet: a failed probe is answered 503 alone, and the breaker opens again.
            }
            try {
                Thread.sleep(50); // Lettuce reconnects in real time
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
        throw new AssertionError("Redis not used again within 10 s");
    }
}
