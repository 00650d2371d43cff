package dev.sluice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The limiter's bookkeeping on its own, with a fake monotonic clock: per-client buckets, their bound, IPv6 /64s. */
class AuthFailureLimiterTest {
    final AtomicLong nanos = new AtomicLong(-5_000_000_000L);   // any origin, negative included
    final AuthFailureLimiter limiter = new AuthFailureLimiter(nanos::get);

    static InetSocketAddress peer(String address) {
        try {
            return new InetSocketAddress(InetAddress.getByName(address), 40000);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private void fail(String address, int times) {
        for (int i = 0; i < times; i++) {
            assertTrue(limiter.refusal(peer(address), null).isEmpty(), address + " failure " + (i + 1));
            limiter.failed(peer(address), null);
        }
    }

    @Test
    void aBurstOfFailuresThenOnePerRefillInterval() {
        fail("192.0.2.1", AuthFailureLimiter.BURST);
        assertEquals(OptionalLong.of(AuthFailureLimiter.REFILL.toSeconds()), limiter.refusal(peer("192.0.2.1"), null));

        nanos.addAndGet(AuthFailureLimiter.REFILL.toNanos() - 1_500_000_000L);
        assertEquals(OptionalLong.of(2), limiter.refusal(peer("192.0.2.1"), null), "rounded up to whole seconds");
        nanos.addAndGet(1_500_000_000L);
        fail("192.0.2.1", 1);
        assertTrue(limiter.refusal(peer("192.0.2.1"), null).isPresent());

        nanos.addAndGet(AuthFailureLimiter.REFILL.toNanos() * AuthFailureLimiter.BURST);
        fail("192.0.2.1", AuthFailureLimiter.BURST);
    }

    @Test
    void ipv6AddressesCountByTheirSlash64() {
        fail("2001:db8:1:2::1", AuthFailureLimiter.BURST / 2);
        fail("2001:db8:1:2:ffff::7", AuthFailureLimiter.BURST - AuthFailureLimiter.BURST / 2);

        assertTrue(limiter.refusal(peer("2001:db8:1:2::abcd"), null).isPresent(), "one /64, one bucket");
        assertTrue(limiter.refusal(peer("2001:db8:1:3::1"), null).isEmpty(), "the next /64 is another client");
    }

    @Test
    void memoryIsBoundedAndClientsPastTheBoundGetBucketsOfTheirOwn() {
        for (int i = 0; i < AuthFailureLimiter.MAX_CLIENTS + 5_000; i++) {
            limiter.failed(peer("10." + (i >> 16 & 255) + "." + (i >> 8 & 255) + "." + (i & 255)), null);
        }
        assertTrue(limiter.trackedClients() <= AuthFailureLimiter.MAX_CLIENTS, "the bound holds");
        assertTrue(limiter.refusal(peer("172.16.0.1"), null).isEmpty(), "no shared bucket: a newcomer is let through");

        nanos.addAndGet(AuthFailureLimiter.REFILL.toNanos() * 5_000);
        limiter.failed(peer("172.16.0.1"), null);
        assertEquals(1, limiter.trackedClients(), "refilled buckets are swept once the table is full");
        assertTrue(limiter.refusal(peer("172.16.0.2"), null).isEmpty());
    }

    @Test
    void aKeyThatSucceededPassesARefusedAddressUntilItFails() {
        limiter.succeeded("good-key");
        fail("192.0.2.9", AuthFailureLimiter.BURST);

        assertTrue(limiter.refusal(peer("192.0.2.9"), "good-key").isEmpty());
        assertTrue(limiter.refusal(peer("192.0.2.9"), "other-key").isPresent());

        limiter.failed(peer("192.0.2.9"), "good-key");
        assertTrue(limiter.refusal(peer("192.0.2.9"), "good-key").isPresent(), "revoked, say: no longer known");
    }

    @Test
    void aKnownKeyIsForgottenAfterAnHourWithoutSuccess() {
        limiter.succeeded("good-key");
        nanos.addAndGet(AuthFailureLimiter.KNOWN_FOR.toNanos());
        fail("192.0.2.9", AuthFailureLimiter.BURST);

        assertTrue(limiter.refusal(peer("192.0.2.9"), "good-key").isPresent());
    }
}
