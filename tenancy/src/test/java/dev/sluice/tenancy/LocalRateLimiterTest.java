package dev.sluice.tenancy;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LocalRateLimiterTest {
    static final TenantId ACME = TenantId.of("acme");
    static final TenantId GLOBEX = TenantId.of("globex");

    final FakeClock clock = FakeClock.atEpochDay();
    final RateLimiter limiter = new LocalRateLimiter(clock);

    static TenantLimits rate(long perSecond, long burst) {
        return new TenantLimits(perSecond, burst, 16, 1_000, 1 << 20, 1_000_000);
    }

    @Test
    void burstIsAdmittedWithRemainingCountingDownThenDeniedWithRetryAfter() {
        TenantLimits limits = rate(1, 3);

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
        TenantLimits limits = rate(100, 1);
        assertTrue(limiter.tryAcquire(ACME, limits).granted());

        RateDecision denied = limiter.tryAcquire(ACME, limits);

        assertFalse(denied.granted());
        assertEquals(1, denied.retryAfterSeconds());
        assertEquals(1, denied.windowSeconds());
    }

    @Test
    void retryAfterRoundsUpTheWaitForOneToken() {
        TenantLimits slow = new TenantLimits(1, 1, 16, 1_000, 1 << 20, 1_000_000);
        limiter.tryAcquire(ACME, slow);
        clock.advance(Duration.ofMillis(200));

        RateDecision denied = limiter.tryAcquire(ACME, slow);

        assertFalse(denied.granted());
        assertEquals(1, denied.retryAfterSeconds(), "0.8 s rounds up to 1");
    }

    @Test
    void tokensRefillAsTheFakeClockAdvances() {
        TenantLimits limits = rate(2, 4);
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
        TenantLimits limits = rate(2, 10);

        RateDecision first = limiter.tryAcquire(ACME, limits);

        assertEquals(1, first.resetSeconds(), "one token at 2/s is 0.5 s, rounded up");
        for (int i = 0; i < 9; i++) {
            limiter.tryAcquire(ACME, limits);
        }
        assertEquals(5, limiter.tryAcquire(ACME, limits).resetSeconds());
    }

    @Test
    void raisingTheBurstTakesEffectAtOnce() {
        TenantLimits small = rate(1, 2);
        limiter.tryAcquire(ACME, small);
        limiter.tryAcquire(ACME, small);
        assertFalse(limiter.tryAcquire(ACME, small).granted());

        TenantLimits larger = rate(1, 5);
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
        TenantLimits slow = rate(1, 1);
        limiter.tryAcquire(ACME, slow);
        TenantLimits fast = rate(10, 1);
        assertFalse(limiter.tryAcquire(ACME, fast).granted());

        clock.advance(Duration.ofMillis(100));

        assertTrue(limiter.tryAcquire(ACME, fast).granted(), "refilled at 10/s, not 1/s");
    }

    @Test
    void limitsOtherThanRateDoNotResetTheBucket() {
        limiter.tryAcquire(ACME, rate(1, 1));

        TenantLimits moreMemory = new TenantLimits(1, 1, 1024, 1_000, 1 << 20, 1_000_000);

        assertFalse(limiter.tryAcquire(ACME, moreMemory).granted());
    }

    @Test
    void tenantsHaveIndependentBuckets() {
        TenantLimits limits = rate(1, 1);
        assertTrue(limiter.tryAcquire(ACME, limits).granted());
        assertFalse(limiter.tryAcquire(ACME, limits).granted());

        assertTrue(limiter.tryAcquire(GLOBEX, limits).granted());
    }

    @Test
    void forgottenTenantStartsWithAFullBucket() {
        TenantLimits limits = rate(1, 2);
        limiter.tryAcquire(ACME, limits);
        limiter.tryAcquire(ACME, limits);

        limiter.forget(ACME);
        RateDecision decision = limiter.tryAcquire(ACME, limits);

        assertTrue(decision.granted());
        assertEquals(1, decision.remaining());
    }

    @Test
    void absurdlyHighRateIsCappedInsteadOfFailing() {
        TenantLimits huge = rate(Long.MAX_VALUE, 5);

        RateDecision decision = limiter.tryAcquire(ACME, huge);

        assertTrue(decision.granted());
        assertEquals(1, decision.windowSeconds());
    }

    @Test
    void concurrentRequestsNeverExceedTheBurst() throws InterruptedException {
        TenantLimits limits = rate(1, 100);
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
