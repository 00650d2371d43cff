package dev.sluice.tenancy.quota;

import dev.sluice.tenancy.FakeClock;
import dev.sluice.tenancy.TenancyException;
import dev.sluice.tenancy.TenantUid;
import dev.sluice.tenancy.internal.RateLimitedLog;
import dev.sluice.tenancy.local.DayCounters;
import dev.sluice.tenancy.local.LocalRateLimiter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * How {@link Failover} reports outcomes to its breaker, on a fake clock. The shared limiter here stands for Redis
 * failing in ways a real one cannot be made to on demand (an {@link Error} thrown inside the call); the local one is
 * the real {@link LocalRateLimiter}.
 */
class FailoverBreakerTest {
    static final TenantUid ACME = TenantUid.of("acme");
    static final QuotaPolicy RATE = QuotaPolicy.rate(1_000, 1_000);

    final FakeClock clock = FakeClock.atEpochDay();
    final Failover failover = new Failover(tenant -> FailPolicy.FAIL_OPEN, 2, clock, BreakerSettings.DEFAULTS,
            new RateLimitedLog(System.getLogger("test"), clock, Duration.ofSeconds(5)));
    /** What the debit does: true counts it in Redis, false could not (the bucket's policy changed meanwhile). */
    boolean debitTakes = true;
    final java.util.List<Long> debits = new java.util.ArrayList<>();
    /** What the shared store does: {@code null} answers, otherwise this is thrown. */
    Throwable failure;
    int sharedCalls;
    final RateLimiter rates = failover.rates(new RateLimiter() {
        @Override
        public RateDecision tryAcquire(TenantUid tenant, QuotaPolicy quota) {
            sharedCalls++;
            if (failure instanceof RuntimeException e) {
                throw e;
            }
            if (failure instanceof Error e) {
                throw e;
            }
            return new RateDecision(true, quota.capacity(), quota.windowSeconds(), 290, 3600, 0);
        }

        @Override
        public void forget(TenantUid tenant) {
        }
    }, new LocalRateLimiter(clock, clock, DayCounters.inMemory(clock)), (tenant, quota, tokens) -> {
        this.debits.add(tokens);
        return this.debitTakes;
    });

    void openBreaker() {
        failure = new TenancyException.QuotaStoreUnavailable("quota store unavailable: stalled", null);
        for (int i = 0; i < BreakerSettings.DEFAULTS.minFailures(); i++) {
            assertThrows(TenancyException.QuotaStoreUnavailable.class, () -> rates.tryAcquire(ACME, RATE),
                    "failed alone, the call that opens the breaker included: Redis may have counted it");
        }
        assertEquals(1, failover.breaker().timesOpened());
        assertEquals(0, failover.fallbacks());
        assertEquals(BreakerSettings.DEFAULTS.minFailures(), failover.refusals());
    }

    @Test
    void theCallThatOpensTheBreakerAndAFailedProbeAreNotServedLocally() {
        openBreaker();
        assertTrue(rates.tryAcquire(ACME, RATE).granted(), "open: the fail policy");
        assertEquals(1, failover.fallbacks());
        clock.advance(BreakerSettings.DEFAULTS.openFor());
        int calls = sharedCalls;
        assertThrows(TenancyException.QuotaStoreUnavailable.class, () -> rates.tryAcquire(ACME, RATE),
                "a failed probe: Redis may have counted it");
        assertEquals(calls + 1, sharedCalls, "it was a probe");
        assertEquals(1, failover.fallbacks());
    }

    @Test
    void aProbeEndedByAnErrorFreesItsPlace() {
        openBreaker();
        clock.advance(BreakerSettings.DEFAULTS.openFor());
        failure = new StackOverflowError("deep");
        for (int i = 0; i < 3; i++) {
            assertThrows(StackOverflowError.class, () -> rates.tryAcquire(ACME, RATE));
        }
        failure = null;
        for (int i = 0; i < 3; i++) {
            rates.tryAcquire(ACME, RATE);
        }
        assertEquals(CircuitBreaker.State.CLOSED, failover.breaker().state(), "three probes succeeded");
        assertEquals(0, failover.fallbacks(), "never stuck half-open with its probes used up");
    }

    @Test
    void aDebitRedisCouldNotTakeStaysOwedAndIsNotCountedAsDebited() {
        QuotaPolicy day = QuotaPolicy.perDay(300);
        assertTrue(rates.tryAcquire(ACME, day).granted(), "counted in Redis: 290 remain");
        openBreaker();
        for (int i = 0; i < 3; i++) {
            assertTrue(rates.tryAcquire(ACME, day).granted(), "a local grant, of the 145 shared out here");
        }
        clock.advance(BreakerSettings.DEFAULTS.openFor());
        failure = null;
        debitTakes = false;
        assertTrue(rates.tryAcquire(ACME, day).granted(), "a probe Redis answers");
        assertEquals(java.util.List.of(3L), debits);
        assertEquals(0, failover.debited(), "not taken: not counted");
        debitTakes = true;
        rates.tryAcquire(ACME, day);
        assertEquals(java.util.List.of(3L, 3L), debits, "owed again, debited at the next answer");
        assertEquals(3, failover.debited());
    }
}
