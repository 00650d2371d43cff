package dev.sluice.tenancy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.tenancy.testing.RedisServerExtension;
import java.time.Duration;
import java.time.LocalDate;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class RedisUsageLedgerTest {
    static final TenantId ACME = TenantId.of("acme");
    static final TenantId GLOBEX = TenantId.of("globex");
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

}
