package dev.sluice.tenancy.redis;

import dev.sluice.tenancy.FakeClock;
import dev.sluice.tenancy.TenantUid;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sluice.tenancy.testing.RedisServerExtension;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Fuel a fail-open fallback reserved is debited in Redis once it answers, and what the call did not use is refunded
 * to the day the reservation was made: a call settling just after UTC midnight must not lower the new day's count
 * (which never held the reservation), or the tenant would get that much extra fuel on the new day.
 */
class RedisFuelRefundTest {
    static final TenantUid ACME = TenantUid.of("acme");
    @RegisterExtension
    static final RedisServerExtension REDIS = new RedisServerExtension();

    final FakeClock clock = new FakeClock(Instant.parse("2025-01-01T23:59:59.500Z"));
    SharedRedis redis;

    @BeforeEach
    void prefix() {
        redis = new SharedRedis(REDIS.server());
    }

    @AfterEach
    void close() throws Exception {
        redis.close();
    }

    @Test
    void aRefundSettledAfterMidnightGoesToTheDayItsReservationWasDebitedOn() {
        RedisFuelBudget fuel = new RedisFuelBudget(redis.gateway(), clock);
        LocalDate reservedOn = fuel.today();
        fuel.debit(ACME, 100_000);
        clock.advance(Duration.ofSeconds(1)); // 00:00:00.500 the next day

        fuel.refund(ACME, 99_990, reservedOn);

        assertEquals(0, fuel.used(ACME), "the new day's count is untouched");
        clock.advance(Duration.ofDays(-1));
        assertEquals(10, fuel.used(ACME), "the day of the reservation is charged what the call used");
    }
}
