package dev.sluice.tenancy.local;

import dev.sluice.tenancy.FakeClock;
import dev.sluice.tenancy.TenantUid;
import dev.sluice.tenancy.quota.QuotaPolicy;
import dev.sluice.tenancy.quota.RateDecision;
import dev.sluice.tenancy.quota.RateLimiter;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LocalRateLimiterTest {
    static final TenantUid ACME = TenantUid.of("acme");
    static final TenantUid GLOBEX = TenantUid.of("globex");

    final FakeClock clock = FakeClock.atEpochDay();
    final RateLimiter limiter = new LocalRateLimiter(clock, clock, DayCounters.inMemory(clock));

    static QuotaPolicy rate(long perSecond, long burst) {
        return QuotaPolicy.rate(perSecond, burst);
    }

    @Test
    void burstIsAdmittedWithRemainingCountingDownThenDeniedWithRetryAfter() {
        QuotaPolicy limits = rate(1, 3);

        for (long expectedRemaining = 2; expectedRemaining >= 0; expectedRemaining--) {
            RateDecision decision = limiter.tryAcquire(ACME, limits);
            assertTrue(decision.granted());
            assertEquals(expectedRemaining, decision.remaining());
            assertEquals(0, decision.retryAfterSeconds());
            assertEquals(3, decision.quota());
            assertEquals(3, decision.windowSeconds());
        }
        RateDecision denied = limiter.tryAcquire(ACME, limits);

        assertFalse(denied.granted());
        assertEquals(0, denied.remaining());
        assertEquals(1, denied.retryAfterSeconds());
        assertEquals(3, denied.resetSeconds());
    }

    @Test
    void retryAfterIsAtLeastOneSecondEvenWhenRefillIsSooner() {
        QuotaPolicy limits = rate(100, 1);
        assertTrue(limiter.tryAcquire(ACME, limits).granted());

        RateDecision denied = limiter.tryAcquire(ACME, limits);

        assertFalse(denied.granted());
        assertEquals(1, denied.retryAfterSeconds());
        assertEquals(1, denied.windowSeconds());
    }

    @Test
    void retryAfterRoundsUpTheWaitForOneToken() {
        QuotaPolicy slow = rate(1, 1);
        limiter.tryAcquire(ACME, slow);
        clock.advance(Duration.ofMillis(200));

        RateDecision denied = limiter.tryAcquire(ACME, slow);

        assertFalse(denied.granted());
        assertEquals(1, denied.retryAfterSeconds(), "0.8 s rounds up to 1");
    }

    @Test
    void tokensRefillAsTheFakeClockAdvances() {
        QuotaPolicy limits = rate(2, 4);
        for (int i = 0; i < 4; i++) {
            limiter.tryAcquire(ACME, limits);
        }
        assertFalse(limiter.tryAcquire(ACME, limits).granted());

        clock.advance(Duration.ofMillis(500));
        RateDecision afterOneToken = limiter.tryAcquire(ACME, limits);
        assertTrue(afterOneToken.granted());
        assertEquals(0, afterOneToken.remaining());
        assertFalse(limiter.tryAcquire(ACME, limits).granted());

        clock.advance(Duration.ofSeconds(10));
        RateDecision refilled = limiter.tryAcquire(ACME, limits);
        assertTrue(refilled.granted());
        assertEquals(3, refilled.remaining(), "capped at the burst, minus this request");
    }

    @Test
    void resetSecondsIsTheTimeToRefillCompletely() {
        QuotaPolicy limits = rate(2, 10);

        RateDecision first = limiter.tryAcquire(ACME, limits);

        assertEquals(1, first.resetSeconds(), "one token at 2/s is 0.5 s, rounded up");
        for (int i = 0; i < 9; i++) {
            limiter.tryAcquire(ACME, limits);
        }
        assertEquals(5, limiter.tryAcquire(ACME, limits).resetSeconds());
    }

    @Test
    void raisingTheBurstTakesEffectAtOnce() {
        QuotaPolicy small = rate(1, 2);
        limiter.tryAcquire(ACME, small);
        limiter.tryAcquire(ACME, small);
        assertFalse(limiter.tryAcquire(ACME, small).granted());

        QuotaPolicy larger = rate(1, 5);
        RateDecision decision = limiter.tryAcquire(ACME, larger);

        assertTrue(decision.granted());
        assertEquals(5, decision.quota());
        assertEquals(2, decision.remaining(), "the added 3 tokens, minus this request");
    }

    @Test
    void loweringTheBurstCapsTheTokensLeft() {
        limiter.tryAcquire(ACME, rate(1, 10));

        RateDecision decision = limiter.tryAcquire(ACME, rate(1, 2));

        assertTrue(decision.granted());
        assertEquals(2, decision.quota());
        assertEquals(1, decision.remaining());
        assertTrue(limiter.tryAcquire(ACME, rate(1, 2)).granted());
        assertFalse(limiter.tryAcquire(ACME, rate(1, 2)).granted());
    }

    @Test
    void changingTheRateChangesTheRefill() {
        QuotaPolicy slow = rate(1, 1);
        limiter.tryAcquire(ACME, slow);
        QuotaPolicy fast = rate(10, 1);
        assertFalse(limiter.tryAcquire(ACME, fast).granted());

        clock.advance(Duration.ofMillis(100));

        assertTrue(limiter.tryAcquire(ACME, fast).granted(), "refilled at 10/s, not 1/s");
    }

    @Test
    void eachPolicyHasItsOwnBucket() {
        limiter.tryAcquire(ACME, rate(1, 1));

        assertFalse(limiter.tryAcquire(ACME, rate(1, 1)).granted());
        assertTrue(limiter.tryAcquire(ACME, QuotaPolicy.perMinute(1)).granted());
        assertFalse(limiter.tryAcquire(ACME, QuotaPolicy.perMinute(1)).granted());
    }

    @Test
    void perMinuteQuotaRefillsAllAtOnceAtTheEndOfTheMinute() {
        QuotaPolicy perMinute = QuotaPolicy.perMinute(3);
        for (int i = 0; i < 3; i++) {
            assertTrue(limiter.tryAcquire(ACME, perMinute).granted());
        }
        RateDecision denied = limiter.tryAcquire(ACME, perMinute);
        assertFalse(denied.granted());
        assertEquals(60, denied.retryAfterSeconds());
        assertEquals(60, denied.windowSeconds());
        clock.advance(Duration.ofSeconds(59));
        assertFalse(limiter.tryAcquire(ACME, perMinute).granted(), "no partial refill within the minute");
        clock.advance(Duration.ofSeconds(1));
        assertEquals(2, limiter.tryAcquire(ACME, perMinute).remaining());
    }

    @Test
    void tenantsHaveIndependentBuckets() {
        QuotaPolicy limits = rate(1, 1);
        assertTrue(limiter.tryAcquire(ACME, limits).granted());
        assertFalse(limiter.tryAcquire(ACME, limits).granted());

        assertTrue(limiter.tryAcquire(GLOBEX, limits).granted());
    }

    @Test
    void forgottenTenantStartsWithAFullBucket() {
        QuotaPolicy limits = rate(1, 2);
        limiter.tryAcquire(ACME, limits);
        limiter.tryAcquire(ACME, limits);

        limiter.forget(ACME);
        RateDecision decision = limiter.tryAcquire(ACME, limits);

        assertTrue(decision.granted());
        assertEquals(1, decision.remaining());
    }

    @Test
    void absurdlyHighRateIsCappedInsteadOfFailing() {
        QuotaPolicy huge = rate(Long.MAX_VALUE, 5);

        RateDecision decision = limiter.tryAcquire(ACME, huge);

        assertTrue(decision.granted());
        assertEquals(1, decision.windowSeconds());
    }

    @Test
    void concurrentRequestsNeverExceedTheBurst() throws InterruptedException {
        QuotaPolicy limits = rate(1, 100);
        java.util.concurrent.atomic.AtomicInteger granted = new java.util.concurrent.atomic.AtomicInteger();
        Thread[] threads = new Thread[8];
        for (int t = 0; t < threads.length; t++) {
            threads[t] = Thread.ofPlatform().start(() -> {
                for (int i = 0; i < 50; i++) {
                    if (limiter.tryAcquire(ACME, limits).granted()) {
                        granted.incrementAndGet();
                    }
                }
            });
        }
        for (Thread thread : threads) {
            thread.join();
        }

        assertEquals(100, granted.get());
    }
}
