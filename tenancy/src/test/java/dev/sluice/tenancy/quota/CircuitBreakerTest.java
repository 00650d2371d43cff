package dev.sluice.tenancy.quota;

import dev.sluice.tenancy.TenancyException;

import dev.sluice.tenancy.FakeClock;

import static dev.sluice.tenancy.quota.CircuitBreaker.Permission.CALL;
import static dev.sluice.tenancy.quota.CircuitBreaker.Permission.PROBE;
import static dev.sluice.tenancy.quota.CircuitBreaker.Permission.REFUSE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The breaker's transitions, driven by a fake clock: no Redis, no sleeping. */
class CircuitBreakerTest {
    final FakeClock clock = FakeClock.atEpochDay();
    // 5 failures that are at least half of the calls within 10 s; open 1 s; 3 probes.
    final CircuitBreaker breaker = new CircuitBreaker(BreakerSettings.DEFAULTS, clock);

    void succeed(int times) {
        for (int i = 0; i < times; i++) {
            CircuitBreaker.Permission permission = breaker.acquire();
            assertEquals(CALL, permission);
            breaker.onSuccess(permission);
        }
    }

    /** Returns whether the last failure opened the breaker. */
    boolean fail(int times) {
        boolean opened = false;
        for (int i = 0; i < times; i++) {
            CircuitBreaker.Permission permission = breaker.acquire();
            assertEquals(CALL, permission);
            opened = breaker.onFailure(permission);
        }
        return opened;
    }

    @Test
    void oneSlowCallDoesNotOpenIt() {
        succeed(1);
        assertFalse(fail(1));
        assertEquals(CircuitBreaker.State.CLOSED, breaker.state());
        assertEquals(CALL, breaker.acquire(), "the next call still goes to Redis");
    }

    @Test
    void aBurstOfFailuresThatIsASmallShareOfTheCallsDoesNotOpenIt() {
        succeed(100);
        assertFalse(fail(20), "20 of 120 is under half");
        assertEquals(CircuitBreaker.State.CLOSED, breaker.state());
    }

    @Test
    void itOpensOnTheMinimumFailuresWhenTheyAreHalfTheCalls() {
        succeed(5);
        assertFalse(fail(4));
        assertTrue(fail(1), "5 failures of 10 calls");
        assertEquals(REFUSE, breaker.acquire());
        assertEquals(1, breaker.timesOpened());
    }

    @Test
    void failuresOlderThanTheWindowAreForgotten() {
        assertFalse(fail(4));
        clock.advance(Duration.ofSeconds(11));
        assertFalse(fail(4), "the first four left the window");
        clock.advance(Duration.ofSeconds(5));
        assertTrue(fail(1), "four plus one within ten seconds");
    }

    @Test
    void whenOpenItRefusesUntilTheOpenTimeThenClosesAfterEveryProbeSucceeds() {
        assertTrue(fail(5));
        clock.advance(Duration.ofMillis(999));
        assertEquals(REFUSE, breaker.acquire());
        clock.advance(Duration.ofMillis(1));

        CircuitBreaker.Permission first = breaker.acquire();
        CircuitBreaker.Permission second = breaker.acquire();
        CircuitBreaker.Permission third = breaker.acquire();
        assertEquals(PROBE, first);
        assertEquals(PROBE, third);
        assertEquals(REFUSE, breaker.acquire(), "three probes at most");
        assertFalse(breaker.onSuccess(first));
        assertFalse(breaker.onSuccess(second));
        assertTrue(breaker.onSuccess(third), "the last probe closes it");

        assertEquals(CircuitBreaker.State.CLOSED, breaker.state());
        assertFalse(fail(4), "a fresh window after closing");
    }

    @Test
    void aFailedProbeOpensItAgainForAnotherOpenTime() {
        assertTrue(fail(5));
        clock.advance(Duration.ofSeconds(1));
        CircuitBreaker.Permission probe = breaker.acquire();
        assertEquals(PROBE, probe);

        assertTrue(breaker.onFailure(probe));

        assertEquals(REFUSE, breaker.acquire());
        assertEquals(2, breaker.timesOpened());
        clock.advance(Duration.ofSeconds(1));
        assertEquals(PROBE, breaker.acquire());
    }

    @Test
    void aProbeEndedByBadInputFreesItsPlace() {
        assertTrue(fail(5));
        clock.advance(Duration.ofSeconds(1));
        CircuitBreaker.Permission[] probes = {breaker.acquire(), breaker.acquire(), breaker.acquire()};
        assertEquals(REFUSE, breaker.acquire());

        breaker.onIgnored(probes[0]);

        assertEquals(PROBE, breaker.acquire());
    }

    @Test
    void redisIsUnavailableSinceTheBreakerFirstOpenedUntilACallSucceeds() {
        assertEquals(clock.getAsLong(), breaker.unavailableSince(), "closed: as if just now");
        assertTrue(fail(5));
        long opened = clock.getAsLong();
        clock.advance(Duration.ofSeconds(1));
        assertTrue(breaker.onFailure(breaker.acquire()), "a failed probe");
        clock.advance(Duration.ofHours(1));
        assertEquals(opened, breaker.unavailableSince(), "reopening does not move the outage's start");

        CircuitBreaker.Permission probe = breaker.acquire();
        breaker.onSuccess(probe);
        assertEquals(clock.getAsLong(), breaker.unavailableSince(), "Redis answered: not away since then");
        clock.advance(Duration.ofSeconds(1));
        assertTrue(breaker.onFailure(breaker.acquire()));
        assertEquals(clock.getAsLong(), breaker.unavailableSince(), "a new outage");
    }

    @Test
    void settingsNameTheKeyAndWhatWasExpected() {
        var e = assertThrows(TenancyException.InvalidInput.class, () ->
                new BreakerSettings(0, 50, Duration.ofSeconds(10), Duration.ofSeconds(1), 3));
        assertEquals("redis-breaker-min-failures: 0 (expected: > 0)", e.getMessage());
        e = assertThrows(TenancyException.InvalidInput.class, () ->
                new BreakerSettings(5, 101, Duration.ofSeconds(10), Duration.ofSeconds(1), 3));
        assertEquals("redis-breaker-failure-percent: 101 (expected: 1..100)", e.getMessage());
    }
}
