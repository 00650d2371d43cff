package dev.sluice.tenancy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.tenancy.ConcurrencyLimiter.ConcurrencyDecision;
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
 * Redis taken away and brought back under {@link Quotas#redis}: fail-open falls back to this replica's share of each
 * quota, fail-closed refuses, both within the command timeout, and Redis is used again once it answers.
 */
class QuotasFailoverTest {
    static final TenantId ACME = TenantId.of("acme");
    static final TenantId STRICT = TenantId.of("strict");
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
        if (!listening()) {
            server.startServer();
        }
    }

    static boolean listening() {
        try (var socket = new java.net.Socket("127.0.0.1", server.port())) {
            return true;
        } catch (java.io.IOException e) {
            return false;
        }
    }

    Quotas quotas() {
        RedisSettings settings = new RedisSettings(server.uri(), false, TIMEOUT, FailPolicy.FAIL_OPEN, 2,
                redis.prefix);
        return Quotas.redis(settings, clock, clock,
                tenant -> tenant.equals(STRICT) ? FailPolicy.FAIL_CLOSED : settings.failPolicy());
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
    void withRedisStoppedFailOpenTenantsGetTheirReplicaShareOfEachQuotaWithinTheTimeout() {
        try (Quotas quotas = quotas()) {
            assertEquals(9, quotas.rates().tryAcquire(ACME, TEN_A_MINUTE).remaining());
            assertEquals(0, quotas.fallbacks());

            server.stop();

            // Ten a minute over two replicas: five here.
            for (int i = 0; i < 5; i++) {
                assertTrue(timed(() -> quotas.rates().tryAcquire(ACME, TEN_A_MINUTE)).granted());
            }
            assertFalse(timed(() -> quotas.rates().tryAcquire(ACME, TEN_A_MINUTE)).granted());
            // Four in flight over two replicas: two here.
            ConcurrencyDecision one = timed(() -> quotas.concurrency().tryAcquire(ACME, 4, Duration.ofMinutes(1)));
            ConcurrencyDecision two = timed(() -> quotas.concurrency().tryAcquire(ACME, 4, Duration.ofMinutes(1)));
            assertTrue(one.granted() && two.granted());
            assertFalse(timed(() -> quotas.concurrency().tryAcquire(ACME, 4, Duration.ofMinutes(1))).granted());
            one.lease().orElseThrow().close();
            // A thousand fuel a day over two replicas: five hundred here.
            assertEquals(100, timed(() -> quotas.fuel().reserve(ACME, 1_000, 400)).remaining());
            assertFalse(timed(() -> quotas.fuel().reserve(ACME, 1_000, 101)).granted());
            quotas.usage().invocation(ACME, false, 1);

            assertEquals(11, quotas.fallbacks());
            assertEquals(0, quotas.refusals());
            assertTrue(quotas.usageBuffered() >= 1, "usage Redis could not take is kept for later");
            System.out.printf("failover: slowest fail-open call with Redis stopped %d ms (timeout %d ms)%n",
                    slowestMillis, TIMEOUT.toMillis());
        }
    }

    @Test
    void withRedisStoppedFailClosedTenantsAreRefusedFastWhileOthersFallBack() {
        try (Quotas quotas = quotas()) {
            assertTrue(quotas.rates().tryAcquire(STRICT, TEN_A_MINUTE).granted());
            server.stop();

            assertThrows(TenancyException.QuotaStoreUnavailable.class,
                    () -> timed(() -> quotas.rates().tryAcquire(STRICT, TEN_A_MINUTE)));
            assertThrows(TenancyException.QuotaStoreUnavailable.class,
                    () -> timed(() -> quotas.concurrency().tryAcquire(STRICT, 1, Duration.ofMinutes(1))));
            assertThrows(TenancyException.QuotaStoreUnavailable.class,
                    () -> timed(() -> quotas.fuel().reserve(STRICT, 1_000, 1)));
            assertTrue(timed(() -> quotas.rates().tryAcquire(ACME, TEN_A_MINUTE)).granted(),
                    "the default policy of this installation is fail-open");

            assertEquals(3, quotas.refusals());
            assertEquals(1, quotas.fallbacks());
        }
    }

    @Test
    void whenRedisStallsCallsGiveUpAtTheTimeoutAndFollowersSkipItUntilTheRetryInterval() {
        try (Quotas quotas = quotas()) {
            assertTrue(quotas.rates().tryAcquire(ACME, TEN_A_MINUTE).granted());
            RedisCommands<String, String> admin = redis.inspector().sync();

            long stalled;
            long next;
            admin.clientPause(2_000);
            try {
                long start = System.nanoTime();
                assertTrue(timed(() -> quotas.rates().tryAcquire(ACME, TEN_A_MINUTE)).granted());
                stalled = (System.nanoTime() - start) / 1_000_000;
                start = System.nanoTime();
                assertTrue(quotas.rates().tryAcquire(ACME, TEN_A_MINUTE).granted());
                next = (System.nanoTime() - start) / 1_000_000;
            } finally {
                // CLIENT UNPAUSE (Redis 6.2) has no Lettuce method of its own.
                admin.dispatch(CommandType.CLIENT, new StatusOutput<>(StringCodec.UTF8),
                        new CommandArgs<>(StringCodec.UTF8).add("UNPAUSE"));
            }

            assertTrue(stalled >= TIMEOUT.toMillis() - 5, "the stalled call waited " + stalled + " ms");
            assertTrue(next < 20, "the next call skips Redis: " + next + " ms");
            assertEquals(2, quotas.fallbacks());
            System.out.printf("failover: stalled Redis (CLIENT PAUSE) call %d ms, next call %d ms (timeout %d ms)%n",
                    stalled, next, TIMEOUT.toMillis());
        }
    }

    @Test
    void whenRedisComesBackItIsUsedAgainWithoutAReset() {
        try (Quotas quotas = quotas()) {
            quotas.rates().tryAcquire(ACME, TEN_A_MINUTE);
            server.stop();
            assertTrue(quotas.rates().tryAcquire(ACME, TEN_A_MINUTE).granted());
            long fallbacks = quotas.fallbacks();

            server.startServer();
            long back = awaitRedisPath(quotas);

            assertEquals(fallbacks, quotas.fallbacks() - back, "only the calls before Redis answered fell back");
            assertEquals(8, quotas.rates().tryAcquire(ACME, TEN_A_MINUTE).remaining(),
                    "the restarted Redis is empty: a fresh bucket, counted there");
            System.out.printf("failover: Redis used again after %d fallback calls%n", back);
        }
    }

    @Test
    void aGatewayStartedWhileRedisIsDownFallsBackThenUsesRedisOnceItAnswers() {
        server.stop();
        try (Quotas quotas = quotas()) {
            assertTrue(timed(() -> quotas.rates().tryAcquire(ACME, TEN_A_MINUTE)).granted());
            assertEquals(1, quotas.fallbacks());

            server.startServer();
            awaitRedisPath(quotas);
        }
    }

    /**
     * Advances the clock past the retry interval and asks again until a call is answered by Redis (bounded); returns
     * how many calls fell back meanwhile.
     */
    long awaitRedisPath(Quotas quotas) {
        long before = quotas.fallbacks();
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline) {
            clock.advance(Quotas.RETRY_INTERVAL);
            long fallbacks = quotas.fallbacks();
            timed(() -> quotas.rates().tryAcquire(ACME, TEN_A_MINUTE));
            if (quotas.fallbacks() == fallbacks) {
                return fallbacks - before;
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
