package dev.sluice.tenancy;

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
    static final TenantId ACME = TenantId.of("acme");
    static final QuotaPolicy RATE = QuotaPolicy.rate(1_000, 1_000);

    final FakeClock clock = FakeClock.atEpochDay();
    final Failover failover = new Failover(tenant -> FailPolicy.FAIL_OPEN, 2, clock, BreakerSettings.DEFAULTS,
            new RateLimitedLog(System.getLogger("test"), clock, Duration.ofSeconds(5)));
    /** What the shared store does: {@code null} answers, otherwise this is thrown. */
    Throwable failure;
    int sharedCalls;
    final RateLimiter rates = failover.rates(new RateLimiter() {
        @Override
        public RateDecision tryAcquire(TenantId tenant, QuotaPolicy quota) {
            sharedCalls++;
            if (failure instanceof RuntimeException e) {
                throw e;
            }
            if (failure instanceof Error e) {
                throw e;
            }
            return new RateDecision(true, quota.capacity(), quota.windowSeconds(), 1, 1, 0);
        }

        @Override
        public void forget(TenantId tenant) {
        }
    }, new LocalRateLimiter(clock, clock, DayCounters.inMemory(clock)), (tenant, quota, tokens) -> { });

    void openBreaker() {
        failure = RedisConnection.unavailable("stalled", null);
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
}
