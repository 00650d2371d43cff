package dev.sluice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * An attacker who fills the limiter's table with many addresses (IPv6 /64s are cheap) must not be able to refuse a
 * client it has never seen: past the bound, newcomers get buckets of their own and the fullest buckets are dropped.
 */
class AuthFailureOverflowTest {
    final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    final AuthFailureLimiter limiter = new AuthFailureLimiter(nanos::get);

    /** The i-th /64 of 2001:0:0::/48, as an attacker with one /48 has 65,536 of them; past that, of the next /48s. */
    static InetSocketAddress attacker(int i) {
        byte[] a = new byte[16];
        a[0] = 0x20;
        a[1] = 0x01;
        a[4] = (byte) (i >> 24);
        a[5] = (byte) (i >> 16);
        a[6] = (byte) (i >> 8);
        a[7] = (byte) i;
        a[15] = 1;
        try {
            return new InetSocketAddress(InetAddress.getByAddress(a), 1234);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    static InetSocketAddress peer(String address) {
        return AuthFailureLimiterTest.peer(address);
    }

    /** The reviewer's scenario, found with a failing test before the fix (the victim got 429 for 6 s). */
    @Test
    void aLegitimateClientFromAFreshAddressIsServedWhileTheTableIsFullOfAttackers() {
        for (int round = 0; round < 3; round++) {   // refreshed about every 6 s, so the entries never refill
            for (int i = 0; i < AuthFailureLimiter.MAX_CLIENTS; i++) {
                limiter.failed(attacker(i), "sk_bad" + i);
            }
            nanos.addAndGet(AuthFailureLimiter.REFILL.toNanos() - 1);
        }
        InetSocketAddress extra = attacker(AuthFailureLimiter.MAX_CLIENTS + 1);
        for (int i = 0; i < AuthFailureLimiter.BURST + 1; i++) {
            limiter.failed(extra, "sk_x" + i);
        }
        assertTrue(limiter.refusal(extra, "sk_y").isPresent(), "the extra attacker address has its own empty bucket");

        var victim = peer("192.0.2.10");
        assertTrue(limiter.refusal(victim, "sk_valid_key_of_a_real_user").isEmpty(), "a newcomer is never refused");
        // Even after mistyping its key a few times it is limited on its own bucket only.
        for (int i = 0; i < AuthFailureLimiter.BURST - 1; i++) {
            limiter.failed(victim, "sk_typo" + i);
        }
        assertTrue(limiter.refusal(victim, "sk_valid_key_of_a_real_user").isEmpty());
        assertTrue(limiter.trackedClients() <= AuthFailureLimiter.MAX_CLIENTS);
    }

    @Test
    void theBoundHoldsUnder100000AttackerAddressesAndTheOnesThatKeepFailingStayRefused() {
        InetSocketAddress persistent = peer("198.51.100.7");
        for (int i = 0; i < AuthFailureLimiter.BURST; i++) {
            limiter.failed(persistent, "sk_guess" + i);
        }
        int maxTracked = 0;
        for (int i = 0; i < 100_000; i++) {
            limiter.failed(attacker(i), null);
            maxTracked = Math.max(maxTracked, limiter.trackedClients());
            if (i % 1_000 == 999) {
                nanos.addAndGet(1_000_000L);   // 100 ms of attack in all: no bucket refills meanwhile
            }
        }
        assertTrue(maxTracked <= AuthFailureLimiter.MAX_CLIENTS, "at most " + AuthFailureLimiter.MAX_CLIENTS
                + " clients tracked, saw " + maxTracked);
        assertTrue(limiter.refusal(persistent, "sk_next").isPresent(),
                "an emptied bucket is the last to be dropped: the guesser stays refused");
        assertTrue(limiter.refusal(peer("203.0.113.5"), "sk_real").isEmpty(), "a newcomer is served");
        assertTrue(limiter.refusal(attacker(100_000), null).isEmpty(), "so is an attacker's fresh /64, alas");
    }

    @Test
    void theBoundHoldsUnderConcurrentNewcomers() throws Exception {
        int threads = 4;
        int each = 10_000;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<Integer>> maxima = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int base = t * each;
                maxima.add(pool.submit(() -> {
                    int max = 0;
                    for (int i = base; i < base + each; i++) {
                        limiter.failed(attacker(i), null);
                        max = Math.max(max, limiter.trackedClients());
                    }
                    return max;
                }));
            }
            for (Future<Integer> max : maxima) {
                assertTrue(max.get() <= AuthFailureLimiter.MAX_CLIENTS, "saw " + max.get());
            }
        } finally {
            pool.shutdownNow();
        }
        assertTrue(limiter.trackedClients() <= AuthFailureLimiter.MAX_CLIENTS);
        assertTrue(limiter.refusal(peer("192.0.2.99"), "sk_real").isEmpty(), "a newcomer is served");
    }
}
