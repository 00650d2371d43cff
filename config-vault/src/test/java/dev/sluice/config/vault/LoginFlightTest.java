package dev.sluice.config.vault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Review r1 #2, #4 and #12: logins are single-flight with a remembered failure and back-off, a 403 on a path the
 * policy does not grant does not log in per call, and a hostile TTL does not break the keeper.
 */
class LoginFlightTest extends VaultServerCase {
    private long logins() {
        return vault.count("POST", "auth/approle/login");
    }

    @Test
    void concurrentCallersShareOneLoginAndItsFailureIsRememberedUntilTheBackOffEnds() throws Exception {
        DriverSession s = approle(Duration.ofHours(1), 500);
        vault.latency(Duration.ofSeconds(5)); // Vault accepts and does not answer in time
        int n = 8;
        ExecutorService threads = Executors.newFixedThreadPool(n);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Throwable>> calls = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                calls.add(threads.submit(() -> {
                    go.await();
                    try {
                        s.kv().metadata("sluice/config");
                        return null;
                    } catch (RuntimeException e) {
                        return e;
                    }
                }));
            }
            go.countDown();
            for (Future<Throwable> call : calls) {
                Throwable t = call.get(30, TimeUnit.SECONDS);
                assertTrue(t instanceof VaultException.Unavailable, String.valueOf(t));
            }
        } finally {
            threads.shutdownNow();
        }
        assertEquals(1, logins(), "one login shared by all the waiting callers, not one each");

        // Within the back-off: fail at once with the remembered reason, no new login.
        VaultException.Unavailable again = assertTimeoutPreemptively(Duration.ofMillis(400),
                () -> assertThrows(VaultException.Unavailable.class, () -> s.kv().metadata("sluice/config")));
        assertTrue(again.getMessage().contains("the last login failed"), again.getMessage());
        assertEquals(1, logins());

        // The renewer is told to come back when the back-off ends... (no grant yet: nothing to schedule)
        f.advance(Duration.ofMillis(1_100));
        assertThrows(VaultException.Unavailable.class, () -> s.kv().metadata("sluice/config"));
        assertEquals(2, logins(), "one more login once the back-off is over");
        // ...and the back-off doubles: after 1.1 s it is not over yet.
        f.advance(Duration.ofMillis(1_100));
        assertThrows(VaultException.Unavailable.class, () -> s.kv().metadata("sluice/config"));
        assertEquals(2, logins());

        vault.latency(Duration.ZERO);
        f.advance(Duration.ofSeconds(1));
        assertTrue(s.kv().metadata("sluice/config").isEmpty(), "Vault back: the next login after the back-off works");
        assertEquals(3, logins());
    }

    @Test
    void theRenewerBacksOffAfterAFailedLogin() {
        DriverSession s = approle(Duration.ofMinutes(10), 5_000);
        s.kv().write("sluice/config", Map.of("a", "1"));
        f.advance(Duration.ofMinutes(11)); // expired
        vault.goAway();
        s.maintain();
        assertEquals(f.now.get().plusSeconds(1), s.nextRenewal(), "next attempt after the first back-off");
        s.maintain();
        s.maintain();
        vault.comeBack();
        assertEquals(1, logins(), "no login attempt reached Vault while it was away; none is retried at once");
        f.advance(Duration.ofSeconds(1));
        s.maintain();
        assertEquals(2, logins());
        assertTrue(s.nextRenewal().isAfter(f.now.get().plusSeconds(60)), "renewal scheduled by the new TTL");
    }

    @Test
    void theBackOffDoublesUpToTenSecondsSoARecoveredVaultIsUsedSoon() {
        DriverSession s = approle(Duration.ofMinutes(10), 5_000);
        s.kv().write("sluice/config", Map.of("a", "1"));
        f.advance(Duration.ofMinutes(11)); // expired
        vault.goAway();
        List<Long> delays = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            s.maintain();
            Duration delay = Duration.between(f.now.get(), s.nextRenewal());
            delays.add(delay.toSeconds());
            f.advance(delay);
        }
        assertEquals(List.of(1L, 2L, 4L, 8L, 10L, 10L), delays);
        vault.comeBack();
        s.maintain();
        assertTrue(s.kv().read("sluice/config").isPresent(), "logged in again at the first try after it came back");
        assertEquals(2, logins());
    }

    @Test
    void aPathThePolicyDoesNotGrantDoesNotLogInOnEveryCall() {
        DriverSession s = approle(Duration.ofHours(1), 5_000);
        s.kv().write("sluice/config", Map.of("a", "1"));
        vault.deny("secret/metadata/sluice/keys");
        for (int i = 0; i < 10; i++) {
            assertThrows(VaultException.Denied.class, () -> s.kv().metadata("sluice/keys/t/0123456789abcdef"));
        }
        assertTrue(logins() <= 2, "10 denied calls: " + logins() + " logins");
        assertTrue(vault.liveTokens() <= 2, "live tokens " + vault.liveTokens());
        // A revoked token is still replaced: once the token has lived past the minimum age.
        f.advance(TokenKeeper.RELOGIN_MIN_AGE);
        vault.revokeLogins();
        assertTrue(s.kv().metadata("sluice/config").isPresent(), "a revoked token is replaced, no failed call");
    }

    @Test
    void aHostileTtlDoesNotBreakTheKeeper() throws Exception {
        try (ScriptedVault scripted = ScriptedVault.start(ScriptedVault.Mode.HUGE_TTL);
                DriverSession s = DriverSession.open(VaultFixture.config(scripted.address(), "token", "", "", "", "",
                        "/none", "", 5_000), Map.of("VAULT_TOKEN", "s.test"), f.clock, false)) {
            assertTrue(s.kv().metadata("sluice/config").isEmpty());
            s.maintain();
            s.tick();
            assertTrue(s.nextRenewal().isAfter(f.now.get().plus(Duration.ofDays(365))), "" + s.nextRenewal());
        }
    }
}
