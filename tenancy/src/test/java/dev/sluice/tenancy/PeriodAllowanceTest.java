package dev.sluice.tenancy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** One replica's bound on a period quota while Redis does not answer, on a fake clock. */
class PeriodAllowanceTest {
    static final long MINUTE = Duration.ofMinutes(1).toNanos();
    static final long SECOND = Duration.ofSeconds(1).toNanos();
    final PeriodAllowance allowance = new PeriodAllowance(MINUTE);

    int takeAll(long now, int replicas) {
        int granted = 0;
        while (allowance.take(now, 1, replicas).granted()) {
            granted++;
        }
        return granted;
    }

    @Test
    void nothingSeenNothingGranted() {
        assertNull(allowance.take(0, 1, 3));
    }

    @Test
    void aReplicaGrantsItsShareOfWhatRemainedAndNoMore() {
        allowance.observe(0, 12, 30 * SECOND, 300);
        PeriodAllowance.Take first = allowance.take(SECOND, 1, 3);
        assertTrue(first.granted());
        assertEquals(3, first.remaining());
        assertEquals(29 * SECOND, first.resetNanos());
        assertEquals(3, takeAll(SECOND, 3), "4 of 12 over 3 replicas");
        PeriodAllowance.Take refused = allowance.take(SECOND, 1, 3);
        assertFalse(refused.granted());
        assertEquals(0, refused.remaining());
    }

    @Test
    void localGrantsAreOwedToRedisAndCountAcrossOutagesOfOnePeriod() {
        allowance.observe(0, 30, 50 * SECOND, 300);
        assertEquals(10, takeAll(SECOND, 3));
        // Redis is back and says 27 remain: it never saw the 10 granted here, which are handed out to debit there.
        assertEquals(10, allowance.observe(2 * SECOND, 27, 48 * SECOND, 300));
        assertEquals(0, allowance.observe(2 * SECOND, 17, 48 * SECOND, 300), "owed once");
        assertEquals(5, takeAll(3 * SECOND, 3), "the share of the 17 left once they are counted");
    }

    @Test
    void aDebitThatDidNotReachRedisIsOwedAgain() {
        allowance.observe(0, 30, 50 * SECOND, 300);
        assertEquals(10, takeAll(SECOND, 3));
        long owed = allowance.observe(2 * SECOND, 27, 48 * SECOND, 300);
        allowance.owe(owed, allowance.period());
        assertEquals(0, takeAll(3 * SECOND, 3), "27 remain in Redis, 10 of them granted here already");
        assertEquals(10, allowance.observe(4 * SECOND, 27, 46 * SECOND, 300));
    }

    @Test
    void whatWasGrantedInAPeriodThatEndedIsNotDebitedInTheNext() {
        allowance.observe(0, 30, 10 * SECOND, 300);
        assertEquals(10, takeAll(SECOND, 3));
        assertEquals(0, allowance.observe(11 * SECOND, 299, 60 * SECOND, 300), "Redis refilled meanwhile");
    }

    @Test
    void whenThePeriodRedisReportedEndsTheShareIsOfTheFullQuota() {
        allowance.observe(0, 3, 10 * SECOND, 300);
        assertEquals(1, takeAll(SECOND, 3));
        assertEquals(100, takeAll(10 * SECOND, 3), "refilled in Redis at the period's end");
        assertEquals(100, takeAll(10 * SECOND + 3 * MINUTE, 3), "and again each period after");
    }

    @Test
    void unusedFuelComesBackWithinItsPeriodOnly() {
        allowance.observe(0, 900, 10 * SECOND, 1_000);
        PeriodAllowance.Take fuel = allowance.take(SECOND, 400, 2);
        assertTrue(fuel.granted());
        assertFalse(allowance.take(SECOND, 51, 2).granted(), "450 is the share of 900");
        allowance.giveBack(100, fuel.period());
        assertTrue(allowance.take(SECOND, 150, 2).granted(), "300 + 150 = 450");

        PeriodAllowance.Take late = allowance.take(11 * SECOND, 500, 2);
        assertTrue(late.granted(), "a new period: half of 1000");
        allowance.giveBack(400, fuel.period());
        assertFalse(allowance.take(11 * SECOND, 1, 2).granted(), "a refund from the last period does not count");
    }
}
