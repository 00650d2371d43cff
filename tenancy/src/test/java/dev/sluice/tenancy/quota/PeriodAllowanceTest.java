package dev.sluice.tenancy.quota;

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
    static final long DAY = Duration.ofDays(1).toNanos();
    static final long HOUR = Duration.ofHours(1).toNanos();
    /** Trusts what it saw up to 30 s before Redis went away (three default breaker windows). */
    static final long TRUST = 30 * SECOND;
    final PeriodAllowance allowance = new PeriodAllowance(MINUTE, TRUST);
    /** When Redis went away (the breaker opened), unless a test says otherwise. */
    long down = SECOND;

    PeriodAllowance.Take take(long now, long amount, int replicas) {
        return allowance.take(now, amount, replicas, down);
    }

    int takeAll(long now, int replicas) {
        int granted = 0;
        while (take(now, 1, replicas).granted()) {
            granted++;
        }
        return granted;
    }

    @Test
    void nothingSeenNothingGranted() {
        assertNull(take(0, 1, 3));
    }

    @Test
    void aReplicaGrantsItsShareOfWhatRemainedAndNoMore() {
        allowance.observe(0, 12, 30 * SECOND, 300);
        PeriodAllowance.Take first = take(SECOND, 1, 3);
        assertTrue(first.granted());
        assertEquals(3, first.remaining());
        assertEquals(29 * SECOND, first.resetNanos());
        assertEquals(3, takeAll(SECOND, 3), "4 of 12 over 3 replicas");
        PeriodAllowance.Take refused = take(SECOND, 1, 3);
        assertFalse(refused.granted());
        assertEquals(0, refused.remaining());
    }

    @Test
    void localGrantsAreOwedToRedisAndCountAcrossOutagesOfOnePeriod() {
        allowance.observe(0, 30, 50 * SECOND, 300);
        assertEquals(10, takeAll(SECOND, 3));
        // Redis is back and says 27 remain: it never saw the 10 granted here, which are handed out to debit there.
        assertEquals(10, allowance.observe(2 * SECOND, 27, 48 * SECOND, 300).amount());
        assertEquals(0, allowance.observe(2 * SECOND, 17, 48 * SECOND, 300).amount(), "owed once");
        assertEquals(5, takeAll(3 * SECOND, 3), "the share of the 17 left once they are counted");
    }

    @Test
    void aDebitThatDidNotReachRedisIsOwedAgain() {
        allowance.observe(0, 30, 50 * SECOND, 300);
        assertEquals(10, takeAll(SECOND, 3));
        allowance.owe(allowance.observe(2 * SECOND, 27, 48 * SECOND, 300));
        assertEquals(0, takeAll(3 * SECOND, 3), "27 remain in Redis, 10 of them granted here already");
        assertEquals(10, allowance.observe(4 * SECOND, 27, 46 * SECOND, 300).amount());
    }

    @Test
    void whatWasGrantedInAPeriodThatEndedIsNotDebitedInTheNext() {
        allowance.observe(0, 30, 10 * SECOND, 300);
        assertEquals(10, takeAll(SECOND, 3));
        assertEquals(0, allowance.observe(11 * SECOND, 299, 60 * SECOND, 300).amount(), "Redis refilled meanwhile");
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
        PeriodAllowance.Take fuel = take(SECOND, 400, 2);
        assertTrue(fuel.granted());
        assertFalse(take(SECOND, 51, 2).granted(), "450 is the share of 900");
        assertEquals(0, allowance.giveBack(fuel.grant(), 100, SECOND), "not debited in Redis: given back here");
        assertTrue(take(SECOND, 150, 2).granted(), "300 + 150 = 450");

        PeriodAllowance.Take late = take(11 * SECOND, 500, 2);
        assertTrue(late.granted(), "a new period: half of 1000");
        assertEquals(0, allowance.giveBack(fuel.grant(), 400, 11 * SECOND));
        assertFalse(take(11 * SECOND, 1, 2).granted(), "a refund from the last period does not count");
    }

    @Test
    void aReplicaThatLastSawYesterdayDoesNotGrantTodayWhichRedisAnsweredOthersIn() {
        PeriodAllowance day = new PeriodAllowance(DAY, TRUST);
        // Replica A last asked Redis one hour before the day's refill: 300 of 300 left.
        day.observe(0, 300, HOUR, 300);
        // Today replicas B and C use all 300 through Redis; at noon Redis goes away.
        long noon = HOUR + 12 * HOUR;
        assertNull(day.take(noon, 1, 3, noon), "today's count was never seen here: it may be used up");
        assertNull(day.take(noon + HOUR, 1, 3, noon), "and stays unknown for the rest of the day");
    }

    @Test
    void aPeriodThatBeganWhileRedisWasAwayIsSharedOutInFull() {
        PeriodAllowance day = new PeriodAllowance(DAY, TRUST);
        day.observe(0, 30, HOUR, 300);
        long away = 10 * SECOND; // before midnight: nobody counted today in Redis
        assertTrue(day.take(11 * SECOND, 10, 3, away).granted(), "10 of the 30 left yesterday");
        assertFalse(day.take(11 * SECOND, 1, 3, away).granted());
        PeriodAllowance.Take today = day.take(2 * HOUR, 100, 3, away);
        assertTrue(today.granted(), "a third of a full day");
        assertFalse(day.take(2 * HOUR, 1, 3, away).granted());
    }

    @Test
    void aRemainderSeenLongBeforeRedisWentAwayIsNotTrusted() {
        allowance.observe(0, 30, 50 * SECOND, 300);
        down = TRUST + SECOND;
        assertNull(take(TRUST + 2 * SECOND, 1, 3), "others may have granted it since");
        down = TRUST;
        assertTrue(take(TRUST + 2 * SECOND, 1, 3).granted(), "seen within the bound");
    }

    @Test
    void unusedFuelOfAReservationDebitedInRedisMidCallIsRefundedThere() {
        PeriodAllowance day = new PeriodAllowance(DAY, TRUST);
        day.observe(0, 1_000_000, HOUR, 1_000_000);
        // Breaker open: a call reserves 100,000 fuel locally.
        PeriodAllowance.Take take = day.take(SECOND, 100_000, 1, SECOND);
        // Redis answers while the call runs: the whole reservation is handed out to debit there.
        PeriodAllowance.Debt debt = day.observe(2 * SECOND, 1_000_000, HOUR - 2 * SECOND, 1_000_000);
        assertEquals(100_000, debt.amount());
        // The call used 10 fuel: the other 99,990 are to be refunded in Redis, and are not owed here.
        assertEquals(99_990, day.giveBack(take.grant(), 99_990, 3 * SECOND));
        assertEquals(0, day.observe(3 * SECOND, 1_000_000 - 100_000, HOUR - 3 * SECOND, 1_000_000).amount());
    }

    @Test
    void aDebtOwedAgainIsGivenBackHereNotInRedis() {
        allowance.observe(0, 900, 50 * SECOND, 1_000);
        PeriodAllowance.Take fuel = take(SECOND, 400, 2);
        PeriodAllowance.Debt debt = allowance.observe(2 * SECOND, 900, 48 * SECOND, 1_000);
        allowance.owe(debt); // the debit did not reach Redis
        // Another answer in the same period moves the period's end: the grant still belongs to it.
        assertEquals(0, allowance.giveBack(fuel.grant(), 300, 3 * SECOND), "not in Redis: taken off what is owed");
        assertEquals(100, allowance.observe(4 * SECOND, 900, 46 * SECOND, 1_000).amount());
    }
}
