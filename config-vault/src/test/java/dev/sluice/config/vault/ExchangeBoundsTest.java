package dev.sluice.config.vault;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Review r1 #1 and #13: every Vault exchange is bounded in time (body included) and in size, on the driver's calls
 * and on the raw metadata reads, and a hostile answer is a {@link VaultException}, never a hang or another exception.
 */
class ExchangeBoundsTest {
    private final VaultFixture f = new VaultFixture();

    private DriverSession session(ScriptedVault vault, long timeoutMs) {
        return DriverSession.open(VaultFixture.config(vault.address(), "token", "", "", "", "", "/none", "",
                timeoutMs), Map.of("VAULT_TOKEN", "s.test"), f.clock, false);
    }

    @Test
    void aStalledBodyOnTheDriverPathTimesOut() throws Exception {
        try (ScriptedVault vault = ScriptedVault.start(ScriptedVault.Mode.STALL_ALL);
                DriverSession s = session(vault, 500)) {
            VaultException e = assertTimeoutPreemptively(Duration.ofSeconds(10),
                    () -> assertThrows(VaultException.Unavailable.class, () -> s.kv().metadata("sluice/config")));
            assertTrue(e.getMessage().contains("did not answer in time"), e.getMessage());
        }
    }

    @Test
    void aStalledBodyOnTheRawMetadataPathTimesOut() throws Exception {
        try (ScriptedVault vault = ScriptedVault.start(ScriptedVault.Mode.STALL_BODY);
                DriverSession s = session(vault, 500)) {
            VaultException e = assertTimeoutPreemptively(Duration.ofSeconds(10),
                    () -> assertThrows(VaultException.Unavailable.class, () -> s.kv().metadata("sluice/config")));
            assertTrue(e.getMessage().contains("metadata read of secret/sluice/config"), e.getMessage());
            assertTrue(e.getMessage().contains("did not answer in time"), e.getMessage());
        }
    }

    @Test
    void aStalledBodyOnADriverReadTimesOut() throws Exception {
        try (ScriptedVault vault = ScriptedVault.start(ScriptedVault.Mode.STALL_BODY);
                DriverSession s = session(vault, 500)) {
            assertTimeoutPreemptively(Duration.ofSeconds(10),
                    () -> assertThrows(VaultException.Unavailable.class, () -> s.kv().list("sluice/")));
        }
    }

    @Test
    void anAnswerPastTheCapIsRefusedNamingThePath() throws Exception {
        try (ScriptedVault vault = ScriptedVault.start(ScriptedVault.Mode.HUGE_BODY);
                DriverSession s = session(vault, 10_000)) {
            VaultException e = assertTimeoutPreemptively(Duration.ofSeconds(20),
                    () -> assertThrows(VaultException.Malformed.class, () -> s.kv().metadata("sluice/config")));
            assertTrue(e.getMessage().contains("metadata read of secret/sluice/config"), e.getMessage());
            assertTrue(e.getMessage().contains("more than " + BoundedHttpClient.MAX_BODY_BYTES + " bytes"),
                    e.getMessage());
            VaultException listed = assertThrows(VaultException.class, () -> s.kv().list("sluice/"));
            assertTrue(listed.getMessage().contains("list of secret/sluice/"), listed.getMessage());
        }
    }

    @Test
    void aVersionNumberOutOfRangeIsMalformedNotAnArithmeticException() throws Exception {
        try (ScriptedVault vault = ScriptedVault.start(ScriptedVault.Mode.HUGE_VERSION);
                DriverSession s = session(vault, 5_000)) {
            VaultException e = assertThrows(VaultException.Malformed.class, () -> s.kv().read("sluice/config"));
            assertTrue(e.getMessage().contains("metadata read of secret/sluice/config"), e.getMessage());
            assertThrows(VaultException.Malformed.class, () -> s.kv().currentVersion("sluice/config"));
        }
    }

    @Test
    void anAsyncExchangeIsBoundedToo() throws Exception {
        try (ScriptedVault vault = ScriptedVault.start(ScriptedVault.Mode.STALL_BODY);
                BoundedHttpClient http = BoundedHttpClient.create(Duration.ofMillis(500))) {
            var request = java.net.http.HttpRequest.newBuilder(java.net.URI.create(vault.address()
                    + "/v1/secret/metadata/x")).build();
            var future = http.sendAsync(request, java.net.http.HttpResponse.BodyHandlers.ofString());
            var e = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> assertThrows(
                    java.util.concurrent.ExecutionException.class, () -> future.get()));
            assertTrue(e.getCause() instanceof java.util.concurrent.TimeoutException, String.valueOf(e.getCause()));
        }
    }
}
