package dev.sluice.tenancy.redis;

import dev.sluice.tenancy.FakeClock;
import dev.sluice.tenancy.TenancyException;
import dev.sluice.tenancy.TenantUid;
import dev.sluice.tenancy.internal.RateLimitedLog;
import dev.sluice.tenancy.usage.DailyUsage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.tenancy.testing.RedisServerExtension;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class RedisUsageLedgerTest {
    static final TenantUid ACME = TenantUid.of("acme");
    static final TenantUid GLOBEX = TenantUid.of("globex");
    @RegisterExtension
    static final RedisServerExtension REDIS = new RedisServerExtension();

    final FakeClock clock = FakeClock.atEpochDay();
    final SharedRedis redis = new SharedRedis(REDIS.server());


    @AfterEach
    void close() throws Exception {
        redis.close();
    }

    RedisUsageLedger gateway() {
        return new RedisUsageLedger(redis.gateway(), clock, clock, 1_000, Duration.ofSeconds(1),
                new RateLimitedLog(System.getLogger("test"), clock, Duration.ofSeconds(10)));
    }

    @Test
    void countsInvocationsErrorsThrottlesAndFuelPerUtcDayNewestFirst() {
        RedisUsageLedger ledger = gateway();
        ledger.invocation(ACME, false, 100);
        ledger.invocation(ACME, true, 50);
        ledger.throttled(ACME);
        clock.advance(Duration.ofDays(1));
        ledger.invocation(ACME, false, 7);
        assertTrue(ledger.drain(Duration.ofSeconds(2)));

        assertEquals(List.of(new DailyUsage(LocalDate.parse("2025-01-02"), 1, 0, 0, 7),
                new DailyUsage(LocalDate.parse("2025-01-01"), 2, 1, 1, 150)), ledger.daily(ACME, 7));
        assertEquals(1, ledger.daily(ACME, 1).size(), "only today");
        assertEquals(List.of(), ledger.daily(GLOBEX, 7), "tenants are separate");
        assertEquals(0, ledger.dropped());
    }

    @Test
    void gatewaysAddUpIntoOneLedger() {
        RedisUsageLedger first = gateway();
        RedisUsageLedger second = gateway();
        for (int i = 0; i < 100; i++) {
            first.invocation(ACME, false, 10);
            second.invocation(ACME, i % 10 == 0, 1);
        }
        assertTrue(first.drain(Duration.ofSeconds(2)) && second.drain(Duration.ofSeconds(2)));

        assertEquals(List.of(new DailyUsage(LocalDate.parse("2025-01-01"), 200, 10, 0, 1_100)),
                second.daily(ACME, 30));
    }

    @Test
    void daysAreHashesKeptSixtyTwoDays() {
        RedisUsageLedger ledger = gateway();
        ledger.invocation(ACME, false, 3);
        ledger.drain(Duration.ofSeconds(2));

        var keys = redis.inspector().sync();
        String key = redis.prefix + "usage:acme:2025-01-01";
        assertEquals("1", keys.hget(key, "invocations"));
        assertEquals("3", keys.hget(key, "fuel"));
        assertTrue(keys.ttl(key) > Duration.ofDays(61).toSeconds(), "ttl " + keys.ttl(key));
    }

    @Test
    void forgetDeletesTheTenantsHistoryOnly() {
        RedisUsageLedger ledger = gateway();
        ledger.invocation(ACME, false, 1);
        clock.advance(Duration.ofDays(3));
        ledger.invocation(ACME, false, 1);
        ledger.invocation(GLOBEX, false, 1);
        ledger.drain(Duration.ofSeconds(2));

        ledger.forget(ACME);

        assertEquals(List.of(), ledger.daily(ACME, 62));
        assertEquals(1, ledger.daily(GLOBEX, 62).size());
    }

    @Test
    void aNonPositiveNumberOfDaysIsRefused() {
        assertThrows(TenancyException.InvalidInput.class, () -> gateway().daily(ACME, 0));
    }


    /**
     * Stress: several gateways on one Redis, each with recorders racing its writer (which moves counts out of the
     * pending map while they add to it) and a flusher forcing sends, round after round on fresh ledgers and tenants.
     * Every event is counted once. Before batches stopped replacing counts they had taken, this lost a tenant-day's
     * counts whenever the map's weakly consistent iteration met a key that was moved out and re-added behind it in
     * the same bin (see {@link RedisUsageLedger#take}): with that code this test failed 3 of 4 runs (4.8 M events
     * each), more threads than cores widening the race.
     */
    @Test
    void recordersFlushersAndGatewaysRacingOnOneRedisLoseNoEvent() throws Exception {
        int gateways = 2;
        int recordersPerGateway = 4;
        int perRecorder = 15_000;
        int tenantCount = 300;
        for (int round = 0; round < 40; round++) {
            TenantUid[] tenants = new TenantUid[tenantCount];
            for (int t = 0; t < tenantCount; t++) {
                tenants[t] = TenantUid.of("s" + round + "-" + t);
            }
            long[][] expected = new long[tenantCount][3];
            List<RedisUsageLedger> ledgers = new ArrayList<>();
            List<Thread> recorders = new ArrayList<>();
            AtomicBoolean recording = new AtomicBoolean(true);
            List<Thread> flushers = new ArrayList<>();
            for (int g = 0; g < gateways; g++) {
                RedisUsageLedger ledger = gateway();
                ledgers.add(ledger);
                for (int r = 0; r < recordersPerGateway; r++) {
                    int stride = 1 + 2 * r;
                    int offset = g * recordersPerGateway + r;
                    for (int i = 0; i < perRecorder; i++) {
                        long[] e = expected[(offset + i * stride) % tenantCount];
                        e[0]++;
                        e[1] += i % 7 == 0 ? 1 : 0;
                        e[2] += i % 5;
                    }
                    recorders.add(Thread.ofPlatform().unstarted(() -> {
                        for (int i = 0; i < perRecorder; i++) {
                            ledger.invocation(tenants[(offset + i * stride) % tenantCount], i % 7 == 0, i % 5);
                        }
                    }));
                }
                // The gateway's flush timer, racing the recorders: forces sends and retries.
                flushers.add(Thread.ofPlatform().unstarted(() -> {
                    while (recording.get()) {
                        ledger.drain(Duration.ofMillis(1));
                    }
                }));
            }
            recorders.forEach(Thread::start);
            flushers.forEach(Thread::start);
            for (Thread recorder : recorders) {
                recorder.join();
            }
            recording.set(false);
            for (Thread flusher : flushers) {
                flusher.join();
            }
            for (RedisUsageLedger ledger : ledgers) {
                // On a loaded machine a batch may outlast the 200 ms timeout; it is then sent again.
                RedisUsageOutageTest.eventually(() -> ledger.drain(Duration.ofSeconds(5)));
                assertEquals(0, ledger.events());
                assertEquals(0, ledger.dropped());
            }
            for (int t = 0; t < tenantCount; t++) {
                assertEquals(List.of(new DailyUsage(LocalDate.parse("2025-01-01"), expected[t][0], expected[t][1], 0,
                        expected[t][2])), ledgers.get(0).daily(tenants[t], 1), "round " + round + ", " + tenants[t]);
            }
        }
    }

    /**
     * A restarted gateway (a new ledger) numbers its batches from 1 again, below the number the old one left in the
     * hash: its own writer field keeps them from being taken for resends of the old one's batches.
     */
    @Test
    void aRestartedGatewaysBatchesAreNotSkippedBelowTheOldOnesNumbers() {
        RedisUsageLedger before = gateway();
        for (int i = 0; i < 20; i++) {
            before.invocation(ACME, false, 1);
            RedisUsageOutageTest.eventually(() -> before.drain(Duration.ofSeconds(5)));
        }
        RedisUsageLedger after = gateway();
        after.invocation(ACME, false, 1);
        RedisUsageOutageTest.eventually(() -> after.drain(Duration.ofSeconds(5)));

        assertEquals(21, after.daily(ACME, 1).get(0).invocations());
        Map<String, String> hash = redis.inspector().sync().hgetall(redis.prefix + "usage:acme:2025-01-01");
        assertEquals(List.of("1", "20"), hash.entrySet().stream().filter(f -> f.getKey().startsWith("w:"))
                .map(Map.Entry::getValue).sorted().toList(), "one batch number per writer: " + hash);
    }

    /**
     * The lost update behind a short usage total, made deterministic: an event for a tenant-day arrives right after
     * the writer moved its counts into a batch, and the map's iteration meets the re-added key again (two keys of
     * one bin: "Aa" and "BB" share a hash code). The batch keeps what it took; the new counts stay pending.
     */
    @Test
    void countsMovedIntoABatchAreNotReplacedWhenTheIterationMeetsTheirKeyAgain() {
        EventRightAfterEachMove pending = new EventRightAfterEachMove();
        pending.put("Aa", 5L);
        pending.put("BB", 7L);

        Map<String, Long> taken = RedisUsageLedger.take(pending, 1_000);

        assertEquals(Map.of("Aa", 5L, "BB", 7L), taken);
        assertEquals(Map.of("Aa", 1L, "BB", 1L), pending, "the events after the move, for the next batch");
        assertEquals(Set.of("Aa", "BB"), pending.reAdded);
    }

    /** A pending map where an event for a key arrives right after the writer moved the key's counts out. */
    static final class EventRightAfterEachMove extends ConcurrentHashMap<String, Long> {
        final Set<String> reAdded = new HashSet<>();

        @Override
        public Long computeIfPresent(String key, BiFunction<? super String, ? super Long, ? extends Long> remap) {
            Long kept = super.computeIfPresent(key, remap);
            if (kept == null && reAdded.add(key)) {
                merge(key, 1L, Long::sum);
            }
            return kept;
        }
    }
}
