package dev.sluice.tenancy.redis;

import dev.sluice.tenancy.FakeClock;
import dev.sluice.tenancy.TenancyException;
import dev.sluice.tenancy.TenantUid;
import dev.sluice.tenancy.internal.RateLimitedLog;
import dev.sluice.tenancy.quota.FailPolicy;
import dev.sluice.tenancy.quota.Quotas;
import dev.sluice.tenancy.usage.DailyUsage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.tenancy.testing.RedisTestServer;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.output.StatusOutput;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CommandType;
import java.time.Duration;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Usage recorded while the shared Redis is away (stopped, or stalled so that commands time out) is kept and written
 * when Redis answers again — exactly once, even for writes that timed out but were applied — within a bound whose
 * excess is counted.
 */
class RedisUsageOutageTest {
    static final TenantUid ACME = TenantUid.of("acme");
    static final LocalDate DAY_ONE = LocalDate.parse("2025-01-01");
    static final LocalDate DAY_TWO = LocalDate.parse("2025-01-02");
    static RedisTestServer server;

    final FakeClock clock = FakeClock.atEpochDay();
    final SharedRedis redis = new SharedRedis(server);

    @BeforeAll
    static void startRedis() {
        server = RedisTestServer.start();
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

    RedisUsageLedger ledger(int maxPending) {
        return new RedisUsageLedger(redis.gateway(), clock, clock, maxPending, Duration.ofSeconds(1),
                new RateLimitedLog(System.getLogger("test"), clock, Duration.ofSeconds(10)));
    }

    /** Real time: Lettuce reconnects on its own schedule once Redis is back. Bounded. */
    static void eventually(BooleanSupplier written) {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!written.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("usage not written within 20 s of Redis coming back");
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }

    @Test
    void usageRecordedWhileRedisIsStoppedIsWrittenOnceWhenItIsBack() {
        RedisSettings settings = new RedisSettings(server.uri(), false, Duration.ofMillis(200), FailPolicy.FAIL_OPEN,
                1, redis.prefix);
        try (Quotas quotas = Quotas.redis(settings, clock, clock)) {
            server.stop();
            for (int i = 0; i < 5; i++) {
                quotas.usage().invocation(ACME, i == 0, 10);
            }
            quotas.usage().throttled(ACME);
            quotas.usage().throttled(ACME);
            clock.advance(Duration.ofDays(1));
            quotas.usage().invocation(ACME, false, 3);
            quotas.flush();

            server.startServer();
            eventually(() -> {
                quotas.flush();
                return readable(quotas) && !quotas.usage().daily(ACME, 7).isEmpty();
            });
            for (int i = 0; i < 3; i++) {
                quotas.flush();
            }

            assertEquals(List.of(new DailyUsage(DAY_TWO, 1, 0, 0, 3), new DailyUsage(DAY_ONE, 5, 1, 2, 50)),
                    quotas.usage().daily(ACME, 7), "each day's events in that day, each once");
            assertEquals(0, quotas.usageDropped());
            assertEquals(0, quotas.usageBuffered());
        }
    }

    static boolean readable(Quotas quotas) {
        try {
            quotas.usage().daily(ACME, 1);
            return true;
        } catch (TenancyException.QuotaStoreUnavailable e) {
            return false;
        }
    }

    @Test
    void aBatchThatTimedOutButWasAppliedIsNotCountedAgainWhenSentAgain() {
        RedisUsageLedger ledger = ledger(1_000);
        ledger.invocation(ACME, false, 1);
        // A JVM's first Redis calls (class loading, JIT) may outlast the 200 ms timeout: retried until written.
        eventually(() -> ledger.drain(Duration.ofSeconds(5)));
        RedisCommands<String, String> admin = redis.inspector().sync();

        admin.clientPause(3_000);
        try {
            ledger.invocation(ACME, false, 10);
            ledger.invocation(ACME, true, 10);
            // Each attempt times out (200 ms) while Redis holds the commands; they run once it resumes.
            assertFalse(ledger.drain(Duration.ofSeconds(5)));
            assertFalse(ledger.drain(Duration.ofSeconds(5)));
            assertEquals(2, ledger.events(), "kept to send again");
        } finally {
            admin.dispatch(CommandType.CLIENT, new StatusOutput<>(StringCodec.UTF8),
                    new CommandArgs<>(StringCodec.UTF8).add("UNPAUSE"));
        }
        eventually(() -> ledger.drain(Duration.ofSeconds(2)));
        ledger.invocation(ACME, false, 100);
        assertTrue(ledger.drain(Duration.ofSeconds(5)));

        assertEquals(List.of(new DailyUsage(DAY_ONE, 4, 1, 0, 121)), ledger.daily(ACME, 1),
                "the timed-out attempts were applied by Redis once, the resends skipped");
        Map<String, String> hash = admin.hgetall(redis.prefix + "usage:acme:" + DAY_ONE);
        assertEquals(1, hash.keySet().stream().filter(field -> field.startsWith("w:")).count(),
                "beside the counters, this gateway's last batch number: " + hash);
    }

    @Test
    void whatWaitsForRedisIsBoundedAndEventsBeyondTheBoundAreCountedAsDropped() {
        RedisUsageLedger ledger = ledger(3);
        server.stop();
        for (String tenant : List.of("t1", "t2", "t3", "t4", "t5", "t6")) {
            ledger.invocation(TenantUid.of(tenant), false, 1);
        }
        ledger.invocation(TenantUid.of("t2"), false, 1);
        assertFalse(ledger.drain(Duration.ofSeconds(2)));

        // t1's batch was on its way when Redis went; t2..t4 fill the bound; t5 and t6 are beyond it.
        assertEquals(2, ledger.dropped());
        assertEquals(5, ledger.events());

        server.startServer();
        eventually(() -> ledger.drain(Duration.ofSeconds(2)));

        assertEquals(1, ledger.daily(TenantUid.of("t1"), 1).get(0).invocations());
        assertEquals(2, ledger.daily(TenantUid.of("t2"), 1).get(0).invocations());
        assertEquals(1, ledger.daily(TenantUid.of("t4"), 1).get(0).invocations());
        assertEquals(List.of(), ledger.daily(TenantUid.of("t5"), 1));
        assertEquals(2, ledger.dropped());
        assertEquals(0, ledger.events());
    }

    /** What recording costs: a map update per event; Redis sees one script call per tenant-day and batch. */
    @Test
    void eventsCoalesceIntoFarFewerRedisWritesThanEventsAndAddUpExactly() {
        RedisUsageLedger ledger = ledger(1_000);
        eventually(() -> {
            ledger.throttled(TenantUid.of("warm-up"));
            return ledger.drain(Duration.ofSeconds(5));
        });
        RedisCommands<String, String> admin = redis.inspector().sync();
        admin.configResetstat();
        int events = 200_000;
        TenantUid[] tenants = new TenantUid[100];
        for (int t = 0; t < tenants.length; t++) {
            tenants[t] = TenantUid.of("t" + t);
        }
        long started = System.nanoTime();
        for (int i = 0; i < events; i++) {
            ledger.invocation(tenants[i % tenants.length], false, 3);
        }
        long recordNanos = System.nanoTime() - started;
        // On a loaded machine a batch may outlast the 200 ms timeout: it is then sent again, which the sum shows.
        eventually(() -> ledger.drain(Duration.ofSeconds(5)));
        long writes = scriptCalls(admin.info("commandstats"));

        for (int t = 0; t < 100; t++) {
            DailyUsage usage = ledger.daily(TenantUid.of("t" + t), 1).get(0);
            assertEquals(events / 100, usage.invocations());
            assertEquals(3L * events / 100, usage.fuel());
        }
        assertTrue(writes < events / 5, writes + " script calls for " + events + " events");
        assertEquals(0, ledger.dropped());
        System.out.printf("usage: %,d events over 100 tenants recorded in %.0f ns each; %,d Redis script calls%n",
                events, (double) recordNanos / events, writes);
    }

    /** Recording threads race the writer that moves counts into batches: every event is counted once, none lost. */
    @Test
    void concurrentRecordersRacingTheWriterLoseNothing() throws InterruptedException {
        int threads = 4;
        int perThread = 20_000;
        for (int round = 0; round < 5; round++) {
            RedisUsageLedger ledger = ledger(10_000);
            TenantUid[] tenants = new TenantUid[300];
            for (int t = 0; t < tenants.length; t++) {
                tenants[t] = TenantUid.of("r" + round + "-" + t);
            }
            List<Thread> recorders = new java.util.ArrayList<>();
            for (int n = 0; n < threads; n++) {
                int offset = n;
                recorders.add(Thread.ofPlatform().start(() -> {
                    for (int i = 0; i < perThread; i++) {
                        ledger.invocation(tenants[(i + offset) % tenants.length], false, 1);
                    }
                }));
            }
            for (Thread recorder : recorders) {
                recorder.join();
            }
            eventually(() -> ledger.drain(Duration.ofSeconds(5)));
            long total = 0;
            for (TenantUid tenant : tenants) {
                total += ledger.daily(tenant, 1).stream().mapToLong(DailyUsage::invocations).sum();
            }
            assertEquals((long) threads * perThread, total, "round " + round);
            assertEquals(0, ledger.dropped());
        }
    }

    static long scriptCalls(String commandStats) {
        long calls = 0;
        Matcher m = Pattern.compile("cmdstat_(?:evalsha|eval):calls=(\\d+)").matcher(commandStats);
        while (m.find()) {
            calls += Long.parseLong(m.group(1));
        }
        return calls;
    }

    @Test
    void usageStillUnwrittenWhenTheQuotasCloseIsCountedAsDropped() {
        RedisSettings settings = new RedisSettings(server.uri(), false, Duration.ofMillis(200), FailPolicy.FAIL_OPEN,
                1, redis.prefix);
        Quotas quotas = Quotas.redis(settings, clock, clock);
        server.stop();
        quotas.usage().invocation(ACME, false, 1);
        quotas.usage().throttled(ACME);

        quotas.close();

        assertEquals(2, quotas.usageDropped());
        assertEquals(0, quotas.usageBuffered());
    }
}
