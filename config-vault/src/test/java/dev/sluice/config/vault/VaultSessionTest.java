package dev.sluice.config.vault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.config.testing.VaultTestServer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The session's logins, renewals and failure mapping, with the real driver against {@link VaultTestServer}. */
class VaultSessionTest extends VaultServerCase {
    private DriverSession approle(Duration ttl) {
        return approle(ttl, 5_000);
    }

    private long logins() {
        return vault.count("POST", "auth/approle/login") + vault.count("POST", "auth/kubernetes/login");
    }

    @Test
    void openingContactsNothingEvenWhenVaultIsAway() {
        vault.close();
        DriverSession s = session(VaultFixture.tokenConfig(vault.address(), dir.resolve("missing")), Map.of());
        assertTrue(vault.requests().isEmpty());
        assertThrows(VaultException.Denied.class, () -> s.kv().list("sluice"), "the first call reads the token");
    }

    @Test
    void tokenFromFileWithTrailingNewlineIsLookedUpOnceAndServesCalls() {
        String token = vault.issueToken(Duration.ofHours(1), "sluice");
        Path file = VaultFixture.write(dir.resolve("token"), token + "\n");
        DriverSession s = session(VaultFixture.tokenConfig(vault.address(), file), Map.of());
        assertEquals(1, s.kv().write("sluice/config", Map.of("a", "1")));
        assertEquals("{\"a\":\"1\"}", s.kv().read("sluice/config").orElseThrow().dataJson());
        assertEquals(1, vault.count("GET", "auth/token/lookup-self"));
    }

    @Test
    void tokenFromTheEnvironmentWhenNoFileIsConfigured() {
        String token = vault.issueToken(Duration.ofHours(1), "sluice");
        DriverSession s = session(VaultFixture.tokenConfig(vault.address(), null), Map.of("VAULT_TOKEN", token));
        assertEquals(1, s.kv().write("sluice/config", Map.of("a", "1")));
    }

    @Test
    void appRoleLogsInWithRoleIdFromFileAndSecretIdFromEnvironment() {
        DriverSession s = approle(Duration.ofHours(1));
        s.kv().write("sluice/config", Map.of("a", "1"));
        assertEquals(1, vault.count("POST", "auth/approle/login"));
    }

    @Test
    void appRoleOnACustomAuthMount() {
        vault.addAppRole("role-1", "secret-1");
        DriverSession s = session(new dev.sluice.config.VaultConfig(vault.address(), "secret", "sluice", "",
                "approle", "", "", "", "apps/approle", "", "/none", 5_000),
                Map.of("SLUICE_VAULT_ROLE_ID", "role-1", "SLUICE_VAULT_SECRET_ID", "secret-1"));
        s.kv().write("sluice/config", Map.of("a", "1"));
        assertEquals(1, vault.count("POST", "auth/apps/approle/login"));
    }

    @Test
    void kubernetesReadsTheRotatedJwtFileAtEachLogin() {
        vault.addKubernetesRole("sluice", "jwt-one");
        Path jwt = VaultFixture.write(dir.resolve("jwt"), "jwt-one\n");
        DriverSession s = session(VaultFixture.config(vault.address(), "kubernetes", "", "", "", "sluice",
                jwt.toString(), "", 5_000), Map.of());
        s.kv().write("sluice/config", Map.of("a", "1"));
        // The kubelet rotates the service-account token; the old token's Vault token is revoked.
        vault.addKubernetesRole("sluice", "jwt-two");
        VaultFixture.write(jwt, "jwt-two");
        vault.revokeLogins();
        assertEquals(2, s.kv().write("sluice/config", Map.of("a", "2")), "no failed call");
        assertEquals(2, vault.count("POST", "auth/kubernetes/login"));
    }

    @Test
    void renewsTheTokenOnceLessThanAThirdOfItsTtlRemains() {
        DriverSession s = approle(Duration.ofMinutes(30));
        s.kv().write("sluice/config", Map.of("a", "1"));
        f.advance(Duration.ofMinutes(19));
        s.maintain();
        assertEquals(0, vault.count("POST", "auth/token/renew-self"), "two thirds of the TTL not yet over");
        f.advance(Duration.ofMinutes(2));
        s.maintain();
        assertEquals(1, vault.count("POST", "auth/token/renew-self"));
        // Renewed three times over 80 minutes: the first token lives on, no second login.
        for (int i = 0; i < 3; i++) {
            f.advance(Duration.ofMinutes(21));
            s.kv().read("sluice/config");
        }
        assertEquals(4, vault.count("POST", "auth/token/renew-self"));
        assertEquals(1, logins());
    }

    @Test
    void logsInAgainWhenRenewalIsRefused() {
        DriverSession s = approle(Duration.ofMinutes(30));
        s.kv().write("sluice/config", Map.of("a", "1"));
        vault.refuseRenewals(true);
        f.advance(Duration.ofMinutes(21));
        assertTrue(s.kv().read("sluice/config").isPresent());
        assertEquals(1, vault.count("POST", "auth/token/renew-self"));
        assertEquals(2, logins());
    }

    @Test
    void aNonRenewableLoginTokenIsReplacedByALoginBeforeItExpires() {
        vault.loginRenewable(false);
        DriverSession s = approle(Duration.ofMinutes(30));
        s.kv().write("sluice/config", Map.of("a", "1"));
        f.advance(Duration.ofMinutes(21));
        s.maintain();
        assertEquals(0, vault.count("POST", "auth/token/renew-self"), "not even tried");
        assertEquals(2, logins());
        f.advance(Duration.ofMinutes(15)); // past the first token's expiry
        assertTrue(s.kv().read("sluice/config").isPresent());
        assertEquals(2, logins());
    }

    @Test
    void logsInAgainWhenRenewalIsCappedByTheMaxTtl() {
        vault.loginMaxTtl(Duration.ofMinutes(40));
        DriverSession s = approle(Duration.ofMinutes(30));
        s.kv().write("sluice/config", Map.of("a", "1"));
        f.advance(Duration.ofMinutes(21));
        s.maintain(); // renewed to 19 minutes (capped by the max TTL), still a useful TTL
        assertEquals(1, logins());
        f.advance(Duration.ofMinutes(13));
        s.maintain(); // renewal now gives 6 minutes: log in again for a full TTL
        assertEquals(2, vault.count("POST", "auth/token/renew-self"));
        assertEquals(2, logins());
        f.advance(Duration.ofMinutes(10)); // past the first token's max TTL
        assertTrue(s.kv().read("sluice/config").isPresent());
        assertEquals(2, logins(), "the second login's token serves");
    }

    @Test
    void aTokenRevokedMidRunIsReplacedByALoginWithoutAFailedCall() {
        DriverSession s = approle(Duration.ofHours(1));
        s.kv().write("sluice/config", Map.of("a", "1"));
        vault.revokeLogins();
        assertEquals("{\"a\":\"1\"}", s.kv().read("sluice/config").orElseThrow().dataJson());
        assertEquals(2, logins());
        assertEquals(2, vault.count("GET", "secret/metadata/sluice/config"), "refused once, retried once");
    }

    @Test
    void concurrentCallsRefusedTogetherShareOneNewLogin() throws Exception {
        DriverSession s = approle(Duration.ofHours(1));
        for (int i = 0; i < 16; i++) {
            s.kv().write("sluice/plans/p" + i, Map.of("a", "1"));
        }
        vault.revokeLogins();
        vault.latency(Duration.ofMillis(20)); // so the refused calls overlap
        List<java.util.concurrent.Future<java.util.OptionalLong>> calls = new ArrayList<>();
        try (java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newFixedThreadPool(8)) {
            for (int i = 0; i < 16; i++) {
                String path = "sluice/plans/p" + i;
                calls.add(threads.submit(() -> s.kv().currentVersion(path)));
            }
            for (var call : calls) {
                assertEquals(java.util.OptionalLong.of(1), call.get(), "no failed call");
            }
        }
        assertEquals(2, logins(), "one login for all the refused calls");
    }

    @Test
    void aTokenExpiredByTheClockIsReplacedByALogin() {
        DriverSession s = approle(Duration.ofMinutes(10));
        s.kv().write("sluice/config", Map.of("a", "1"));
        f.advance(Duration.ofMinutes(11));
        assertTrue(s.kv().read("sluice/config").isPresent());
        assertEquals(2, logins());
        assertEquals(0, vault.count("POST", "auth/token/renew-self"), "an expired token is not renewed");
    }

    @Test
    void aStaticTokenIsRenewedBeforeItsTtl() {
        String token = vault.issueToken(Duration.ofMinutes(30), "sluice");
        DriverSession s = session(VaultFixture.tokenConfig(vault.address(),
                VaultFixture.write(dir.resolve("token"), token)), Map.of());
        s.kv().write("sluice/config", Map.of("a", "1"));
        f.advance(Duration.ofMinutes(21));
        s.maintain();
        assertEquals(1, vault.count("POST", "auth/token/renew-self"));
        f.advance(Duration.ofMinutes(25)); // alive only because it was renewed
        assertTrue(s.kv().read("sluice/config").isPresent());
    }

    @Test
    void anExpiredStaticTokenFailsCallsWithDeniedAndAClearReason() {
        String token = vault.issueNonRenewableToken(Duration.ofMinutes(10), "sluice");
        Path file = VaultFixture.write(dir.resolve("token"), token);
        DriverSession s = session(VaultFixture.tokenConfig(vault.address(), file), Map.of());
        s.kv().write("sluice/config", Map.of("a", "1"));
        f.advance(Duration.ofMinutes(11));
        VaultException.Denied e = assertThrows(VaultException.Denied.class, () -> s.kv().read("sluice/config"));
        assertTrue(e.getMessage().contains("vault-token-file " + file), e.getMessage());
        assertTrue(e.getMessage().contains("expired"), e.getMessage());
        assertFalse(e.getMessage().contains(token));
    }

    @Test
    void aRotatedTokenFileIsPickedUpWhenTheOldTokenIsRefused() {
        String first = vault.issueToken(Duration.ofHours(1), "sluice");
        Path file = VaultFixture.write(dir.resolve("token"), first);
        DriverSession s = session(VaultFixture.tokenConfig(vault.address(), file), Map.of());
        s.kv().write("sluice/config", Map.of("a", "1"));
        vault.revoke(first);
        VaultFixture.write(file, vault.issueToken(Duration.ofHours(1), "sluice") + "\n");
        assertTrue(s.kv().read("sluice/config").isPresent(), "no failed call");
        assertEquals(2, vault.count("GET", "auth/token/lookup-self"));
    }

    @Test
    void aPathThePolicyRefusesIsDeniedAfterOneFreshLogin() {
        DriverSession s = approle(Duration.ofHours(1));
        vault.deny("secret/metadata/sluice/forbidden");
        VaultException.Denied e = assertThrows(VaultException.Denied.class,
                () -> s.kv().read("sluice/forbidden"));
        assertTrue(e.getMessage().contains("secret/sluice/forbidden"), e.getMessage());
        assertTrue(e.getMessage().contains("after a fresh login"), e.getMessage());
        assertEquals(2, logins());
    }

    @Test
    void aWrongSecretIdIsDeniedWithoutQuotingIt() {
        vault.addAppRole("role-1", "secret-1");
        DriverSession s = session(VaultFixture.config(vault.address(), "approle", "", "", "", "", "/none", "",
                5_000), Map.of("SLUICE_VAULT_ROLE_ID", "role-1", "SLUICE_VAULT_SECRET_ID", "wrong-secret-id"));
        VaultException.Denied e = assertThrows(VaultException.Denied.class, () -> s.kv().list("sluice"));
        assertTrue(e.getMessage().contains("auth/approle"), e.getMessage());
        assertFalse(e.getMessage().contains("wrong-secret-id"));
    }

    @Test
    void aMissingCredentialIsDeniedNamingWhereItWasLookedFor() {
        DriverSession s = session(VaultFixture.config(vault.address(), "approle", "", "", "", "", "/none", "",
                5_000), Map.of());
        VaultException.Denied e = assertThrows(VaultException.Denied.class, () -> s.kv().list("sluice"));
        assertTrue(e.getMessage().contains("$SLUICE_VAULT_ROLE_ID"), e.getMessage());
    }

    @Test
    void sealedVaultIsSealedAndTheSessionRecoversAfterUnseal() {
        DriverSession s = f.tokenSession(vault, dir);
        s.kv().write("sluice/config", Map.of("a", "1"));
        vault.seal();
        VaultException.Sealed e = assertThrows(VaultException.Sealed.class, () -> s.kv().read("sluice/config"));
        assertTrue(e.getMessage().contains("secret/sluice/config"), e.getMessage());
        assertThrows(VaultException.Sealed.class, () -> s.kv().list("sluice"));
        assertThrows(VaultException.Sealed.class, () -> s.kv().write("sluice/config", Map.of("a", "2")));
        vault.unseal();
        assertTrue(s.kv().read("sluice/config").isPresent());
    }

    @Test
    void sealedVaultAtLoginIsSealed() {
        DriverSession s = approle(Duration.ofHours(1));
        vault.seal();
        assertThrows(VaultException.Sealed.class, () -> s.kv().list("sluice"));
        vault.unseal();
        // The failed login is remembered for its back-off (1 s), then tried again.
        assertThrows(VaultException.Sealed.class, () -> s.kv().list("sluice"));
        f.advance(TokenKeeper.FIRST_BACKOFF);
        assertEquals(List.of(), s.kv().list("sluice"));
    }

    @Test
    void aServerErrorIsUnavailable() {
        DriverSession s = f.tokenSession(vault, dir);
        s.kv().write("sluice/config", Map.of("a", "1"));
        vault.failNext("secret/data/sluice/config", 500);
        assertThrows(VaultException.Unavailable.class, () -> s.kv().read("sluice/config"));
        assertTrue(s.kv().read("sluice/config").isPresent());
    }

    @Test
    void aStoppedVaultIsUnavailableQuickly() {
        DriverSession s = f.tokenSession(vault, dir);
        s.kv().write("sluice/config", Map.of("a", "1"));
        vault.close();
        long start = System.nanoTime();
        VaultException.Unavailable e = assertThrows(VaultException.Unavailable.class,
                () -> s.kv().read("sluice/config"));
        assertTrue(Duration.ofNanos(System.nanoTime() - start).compareTo(Duration.ofSeconds(10)) < 0);
        assertTrue(e.getMessage().contains(vault.address()), e.getMessage());
    }

    @Test
    void aVaultThatDoesNotAnswerIsUnavailableWithinTheTimeout() {
        String token = vault.issueToken(Duration.ZERO, "root");
        Path file = VaultFixture.write(dir.resolve("token"), token);
        DriverSession s = session(VaultFixture.config(vault.address(), "token", file.toString(), "", "", "", "/none",
                "", 300), Map.of());
        s.kv().write("sluice/config", Map.of("a", "1"));
        vault.latency(Duration.ofSeconds(5));
        long start = System.nanoTime();
        VaultException.Unavailable e = assertThrows(VaultException.Unavailable.class,
                () -> s.kv().read("sluice/config"));
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertTrue(took.compareTo(Duration.ofMillis(4_000)) < 0, "bounded by vault-timeout-ms, not the 5 s reply: "
                + took);
        assertTrue(e.getMessage().contains("did not answer in time"), e.getMessage());
        vault.latency(Duration.ZERO);
        assertTrue(s.kv().read("sluice/config").isPresent());
    }

    @Test
    void anAnswerThatIsNotJsonIsMalformed() {
        DriverSession s = f.tokenSession(vault, dir);
        s.kv().write("sluice/config", Map.of("a", "1"));
        vault.garble("secret/metadata/");
        VaultException.Malformed e = assertThrows(VaultException.Malformed.class,
                () -> s.kv().read("sluice/config"));
        assertTrue(e.getMessage().contains("secret/sluice/config"), e.getMessage());
    }

    @Test
    void theNamespaceHeaderGoesWithEveryRequest() {
        String token = vault.issueToken(Duration.ZERO, "root");
        Path file = VaultFixture.write(dir.resolve("token"), token);
        DriverSession s = session(VaultFixture.config(vault.address(), "token", file.toString(), "", "", "", "/none",
                "team-a", 5_000), Map.of());
        s.kv().write("sluice/config", Map.of("a", "1"));
        s.kv().read("sluice/config");
        s.kv().list("sluice");
        s.kv().destroy("sluice/config");
        assertEquals(6, vault.namespaces().size(), vault.requests().toString());
        assertTrue(vault.namespaces().stream().allMatch("team-a"::equals), vault.namespaces().toString());
    }

    @Test
    void noTokenSecretIdOrJwtInAnyMessageLogLineOrToString() {
        try (VaultFixture.LogCapture logs = new VaultFixture.LogCapture()) {
            List<String> texts = new ArrayList<>();
            vault.addAppRole("role-id-text", "secret-id-text");
            vault.addKubernetesRole("sluice", "jwt-text");
            vault.loginTtl(Duration.ofMinutes(30));
            Path jwt = VaultFixture.write(dir.resolve("jwt"), "jwt-text");
            String staticToken = vault.issueToken(Duration.ofMinutes(30), "sluice");
            List<DriverSession> sessions = List.of(
                    session(VaultFixture.tokenConfig(vault.address(), VaultFixture.write(dir.resolve("t"),
                            staticToken)), Map.of()),
                    session(VaultFixture.config(vault.address(), "approle", "", "", "", "", "/none", "", 5_000),
                            Map.of("SLUICE_VAULT_ROLE_ID", "role-id-text", "SLUICE_VAULT_SECRET_ID",
                                    "secret-id-text")),
                    session(VaultFixture.config(vault.address(), "kubernetes", "", "", "", "sluice", jwt.toString(),
                            "", 5_000), Map.of()));
            for (DriverSession s : sessions) {
                texts.add(s.toString());
                s.kv().write("sluice/config", Map.of("a", "1"));
                vault.refuseRenewals(true);
                f.advance(Duration.ofMinutes(21));
                s.maintain();
                vault.refuseRenewals(false);
                vault.revokeLogins();
                s.kv().read("sluice/config");
                vault.seal();
                texts.add(assertThrows(VaultException.class, () -> s.kv().read("sluice/config")).getMessage());
                vault.unseal();
                vault.deny("secret/metadata/sluice/denied");
                texts.add(assertThrows(VaultException.class, () -> s.kv().read("sluice/denied")).getMessage());
            }
            vault.revoke(staticToken);
            texts.add(assertThrows(VaultException.class, () -> sessions.get(0).kv().list("sluice")).getMessage());
            vault.addAppRole("role-id-text", "other");
            vault.addKubernetesRole("sluice", "other");
            vault.revokeLogins();
            texts.add(assertThrows(VaultException.class, () -> sessions.get(1).kv().list("sluice")).getMessage());
            texts.add(assertThrows(VaultException.class, () -> sessions.get(2).kv().list("sluice")).getMessage());
            texts.addAll(logs.lines());
            assertFalse(logs.lines().isEmpty(), "logins and renewals are logged");
            List<String> secrets = new ArrayList<>(vault.tokensIssued());
            secrets.addAll(List.of("role-id-text", "secret-id-text", "jwt-text"));
            for (String text : texts) {
                for (String secret : secrets) {
                    assertFalse(text.contains(secret), "a credential leaked into: " + text);
                }
            }
        }
    }

    @Test
    void theBackgroundThreadRenewsAnIdleSession() throws Exception {
        // Real time on purpose: this is the thread that acts when no call comes.
        VaultTestServer realVault = VaultTestServer.start(InstantSource.system());
        closeAfter(realVault);
        realVault.addAppRole("role-1", "secret-1");
        realVault.loginTtl(Duration.ofSeconds(3));
        VaultSession s = VaultSession.open(VaultFixture.config(realVault.address(), "approle", "", "", "", "",
                "/none", "", 5_000), Map.of("SLUICE_VAULT_ROLE_ID", "role-1", "SLUICE_VAULT_SECRET_ID", "secret-1"),
                InstantSource.system());
        closeAfter(s);
        s.kv().list("sluice");
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (realVault.count("POST", "auth/token/renew-self") == 0 && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertTrue(realVault.count("POST", "auth/token/renew-self") >= 1, realVault.requests().toString());
        assertEquals(Optional.empty(), s.kv().read("sluice/none"));
        // No assertion on the login count: on a loaded machine the 3 s token may expire before the thread runs,
        // and logging in again is then the right thing to do.
    }
}
