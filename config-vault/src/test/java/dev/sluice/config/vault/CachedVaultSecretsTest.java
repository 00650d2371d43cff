package dev.sluice.config.vault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sluice.config.secrets.CachedFunctionSecrets;
import dev.sluice.config.secrets.SecretName;
import dev.sluice.config.secrets.SecretValue;
import dev.sluice.config.secrets.SecretsException;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The invocation path's view of function secrets over the Vault backend: values served from memory within the poll
 * period (no Vault call per invocation), re-read after it, dropped at once by this gateway's own writes, and the last
 * values read kept serving while Vault is sealed or away. The cache's own rules (back-off, one refresh at a time,
 * races with writes, its bound) are unit-tested over an in-memory backend in
 * {@code dev.sluice.config.secrets.CachedFunctionSecretsTest}; this class proves them against real Vault requests and
 * the real sealed/away failures.
 */
class CachedVaultSecretsTest extends VaultServerCase {
    private static final String OWNER = "acme.00112233445566778899aabbccddeeff";
    private static final SecretName TOKEN = SecretName.of("UPSTREAM_TOKEN");

    private final AtomicLong nanos = new AtomicLong();
    private DriverSession session;
    private CachedFunctionSecrets secrets;

    @BeforeEach
    void start() {
        session = tokenSession();
        secrets = CachedFunctionSecrets.over(VaultFunctionSecrets.create(session.kv(), "sluice", f.clock),
                nanos::get, () -> 1_000);
    }

    @Test
    void invocationsWithinThePeriodCostNoVaultCall() {
        secrets.put(OWNER, "hello", TOKEN, SecretValue.of("t-1"));
        assertEquals(Map.of("UPSTREAM_TOKEN", "t-1"), secrets.values(OWNER, "hello"));
        vault.resetRequests();
        for (int i = 0; i < 100; i++) {
            nanos.addAndGet(5_000_000); // 100 calls over 0.5 s
            assertEquals(Map.of("UPSTREAM_TOKEN", "t-1"), secrets.values(OWNER, "hello"));
        }
        assertEquals(0, vault.requests().size(), vault.requests().toString());
    }

    @Test
    void aFunctionWithoutSecretsIsAskedAboutOncePerPeriod() {
        assertEquals(Map.of(), secrets.values(OWNER, "plain"));
        vault.resetRequests();
        assertEquals(Map.of(), secrets.values(OWNER, "plain"));
        assertEquals(0, vault.requests().size(), "the empty answer is kept too");
        nanos.addAndGet(1_000_000_000L);
        assertEquals(Map.of(), secrets.values(OWNER, "plain"));
        assertEquals(1, vault.requests().size(), "one list after the period: " + vault.requests());
    }

    @Test
    void aWriteElsewhereIsSeenAfterThePeriodAndOneHereAtOnce() {
        secrets.put(OWNER, "hello", TOKEN, SecretValue.of("t-1"));
        assertEquals("t-1", secrets.values(OWNER, "hello").get("UPSTREAM_TOKEN"));
        // Another gateway writes: this one still serves what it read until its period is over.
        VaultFunctionSecrets.create(session.kv(), "sluice", f.clock).put(OWNER, "hello", TOKEN,
                SecretValue.of("t-2"));
        assertEquals("t-1", secrets.values(OWNER, "hello").get("UPSTREAM_TOKEN"));
        nanos.addAndGet(1_000_000_000L);
        assertEquals("t-2", secrets.values(OWNER, "hello").get("UPSTREAM_TOKEN"));
        // A write through this gateway applies to its next invocation.
        secrets.put(OWNER, "hello", TOKEN, SecretValue.of("t-3"));
        assertEquals("t-3", secrets.values(OWNER, "hello").get("UPSTREAM_TOKEN"));
        secrets.delete(OWNER, "hello", TOKEN);
        assertEquals(Map.of(), secrets.values(OWNER, "hello"));
    }

    @Test
    void theLastValuesReadKeepServingWhileVaultIsSealedOrAway() {
        secrets.put(OWNER, "hello", TOKEN, SecretValue.of("t-1"));
        assertEquals("t-1", secrets.values(OWNER, "hello").get("UPSTREAM_TOKEN"));
        vault.seal();
        nanos.addAndGet(10_000_000_000L);
        assertEquals("t-1", secrets.values(OWNER, "hello").get("UPSTREAM_TOKEN"), "sealed: last-known-good");
        vault.unseal();
        vault.goAway();
        nanos.addAndGet(10_000_000_000L);
        assertEquals("t-1", secrets.values(OWNER, "hello").get("UPSTREAM_TOKEN"), "away: last-known-good");
        // A function never read before has nothing to fall back on: its invocation is refused, not run without them.
        assertThrows(SecretsException.Unavailable.class, () -> secrets.values(OWNER, "never-read"));
        vault.comeBack();
    }
}
