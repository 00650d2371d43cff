package dev.sluice.config.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.jopenlibs.vault.Vault;
import io.github.jopenlibs.vault.VaultConfig;
import io.github.jopenlibs.vault.VaultException;
import io.github.jopenlibs.vault.response.AuthResponse;
import io.github.jopenlibs.vault.response.LogicalResponse;
import io.github.jopenlibs.vault.response.LookupResponse;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Drives {@link VaultTestServer} with the real vault-java-driver 6.2.1, so the fake's wire format is the driver's. */
class VaultTestServerTest {
    private static HttpClient http;

    private final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-11-29T00:00:00Z"));
    private final InstantSource clock = () -> now.get();
    private VaultTestServer vault;
    private String rootToken;

    @BeforeAll
    static void sharedClient() {
        http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    }

    @AfterAll
    static void closeClient() {
        http.close();
    }

    @BeforeEach
    void startVault() {
        vault = VaultTestServer.start(clock);
        rootToken = vault.issueToken(Duration.ZERO, "root");
    }

    @AfterEach
    void stopVault() {
        vault.close();
    }

    private Vault driver(String token) throws VaultException {
        VaultConfig config = new VaultConfig().address(vault.address()).token(token).engineVersion(2)
                .openTimeout(10).readTimeout(30).httpClient(http).build();
        return Vault.create(config, 2);
    }

    private void advance(Duration d) {
        now.updateAndGet(t -> t.plus(d));
    }

    @Test
    void kvV2WriteReturnsVersionsAndReadsLatestOrAskedVersion() throws Exception {
        Vault v = driver(rootToken);
        LogicalResponse first = v.logical().write("secret/sluice/plans/free", Map.of("rate-per-second", 5));
        assertEquals(200, first.getRestResponse().getStatus());
        // The driver does not parse a write's version into DataMetadata; it is in the flat data map.
        assertEquals("1", first.getData().get("version"));
        LogicalResponse second = v.logical().write("secret/sluice/plans/free", Map.of("rate-per-second", 9));
        assertEquals("2", second.getData().get("version"));

        LogicalResponse latest = v.logical().read("secret/sluice/plans/free");
        assertEquals("9", latest.getData().get("rate-per-second"));
        assertEquals(2L, latest.getDataMetadata().getVersion());

        LogicalResponse old = v.logical().read("secret/sluice/plans/free", false, 1);
        assertEquals("5", old.getData().get("rate-per-second"));
        assertEquals(1L, old.getDataMetadata().getVersion());
    }

    @Test
    void listShowsKeysAndSubfoldersUnderAPath() throws Exception {
        Vault v = driver(rootToken);
        v.logical().write("secret/sluice/tenants/acme", Map.of("plan", "free"));
        v.logical().write("secret/sluice/tenants/globex", Map.of("plan", "pro"));
        v.logical().write("secret/sluice/keys/acme/k1", Map.of("sha256", "00"));

        assertEquals(List.of("acme", "globex"), v.logical().list("secret/sluice/tenants").getListData());
        assertEquals(List.of("keys/", "tenants/"), v.logical().list("secret/sluice").getListData());
        assertTrue(vault.requests().contains("GET /v1/secret/metadata/sluice/tenants?list=true"),
                vault.requests().toString());
    }

    @Test
    void listAnswersTheLISTMethodToo() throws Exception {
        driver(rootToken).logical().write("secret/a/b", Map.of("x", "1"));
        HttpResponse<String> response = raw("LIST", "/v1/secret/metadata/a/", rootToken);
        assertEquals(200, response.statusCode());
        assertTrue(response.body().contains("\"keys\":[\"b\"]"), response.body());
    }

    @Test
    void metadataReadShowsCurrentVersionSoAPollCostsOneRead() throws Exception {
        Vault v = driver(rootToken);
        v.logical().write("secret/sluice/plans/pro", Map.of("a", "1"));
        v.logical().write("secret/sluice/plans/pro", Map.of("a", "2"));
        HttpResponse<String> response = raw("GET", "/v1/secret/metadata/sluice/plans/pro", rootToken);
        assertEquals(200, response.statusCode());
        assertEquals("application/json", response.headers().firstValue("Content-Type").orElseThrow());
        Map<String, Object> body = Json.parseObject(response.body());
        @SuppressWarnings("unchecked")
        Map<String, Object> data = (Map<String, Object>) body.get("data");
        assertEquals(2L, data.get("current_version"));
        assertEquals(2, ((Map<?, ?>) data.get("versions")).size());
    }

    @Test
    void deleteRemovesAllVersionsAndMetadata() throws Exception {
        Vault v = driver(rootToken);
        v.logical().write("secret/gone", Map.of("a", "1"));
        assertEquals(204, v.logical().delete("secret/gone").getRestResponse().getStatus());
        // The driver returns 4xx reads as responses (it throws only for other non-200 statuses).
        assertEquals(404, v.logical().read("secret/gone").getRestResponse().getStatus());
        assertEquals(404, raw("GET", "/v1/secret/metadata/gone", rootToken).statusCode());
    }

    @Test
    void lookupSelfReportsPoliciesAndRemainingTtlAsNumbers() throws Exception {
        String token = vault.issueToken(Duration.ofMinutes(10), "sluice");
        advance(Duration.ofMinutes(4));
        LookupResponse self = driver(token).auth().lookupSelf();
        assertEquals(token, self.getId());
        assertEquals(List.of("sluice"), self.getPolicies());
        assertEquals(360, self.getTTL());
        assertEquals(600, self.getCreationTTL());
        assertTrue(self.isRenewable());
    }

    @Test
    void renewSelfPushesExpiryOutByTheTtl() throws Exception {
        String token = vault.issueToken(Duration.ofMinutes(10), "sluice");
        advance(Duration.ofMinutes(9));
        AuthResponse renewed = driver(token).auth().renewSelf();
        assertEquals(token, renewed.getAuthClientToken());
        assertEquals(600, renewed.getAuthLeaseDuration());
        assertTrue(renewed.isAuthRenewable());
        advance(Duration.ofMinutes(9));
        assertEquals(60, driver(token).auth().lookupSelf().getTTL(), "alive past its first expiry");
    }

    @Test
    void expiredTokenIsRefusedWith403PermissionDenied() throws Exception {
        String token = vault.issueToken(Duration.ofMinutes(1), "sluice");
        driver(token).logical().write("secret/x", Map.of("a", "1"));
        advance(Duration.ofMinutes(1));
        assertEquals(403, driver(token).logical().read("secret/x").getRestResponse().getStatus());
        VaultException lookup = assertThrows(VaultException.class, () -> driver(token).auth().lookupSelf());
        assertEquals(403, lookup.getHttpStatusCode());
        VaultException renew = assertThrows(VaultException.class, () -> driver(token).auth().renewSelf());
        assertEquals(403, renew.getHttpStatusCode());
        HttpResponse<String> response = raw("GET", "/v1/secret/data/x", token);
        assertEquals("{\"errors\":[\"permission denied\"]}", response.body());
    }

    @Test
    void missingTokenIsRefusedWith403() throws Exception {
        HttpResponse<String> response = raw("GET", "/v1/secret/data/x", null);
        assertEquals(403, response.statusCode());
        assertEquals("{\"errors\":[\"permission denied\"]}", response.body());
    }

    @Test
    void appRoleLoginIssuesATokenWithTheLoginTtl() throws Exception {
        vault.addAppRole("role-1", "secret-1");
        vault.loginTtl(Duration.ofMinutes(20));
        AuthResponse login = driver(null).auth().loginByAppRole("role-1", "secret-1");
        assertEquals(1200, login.getAuthLeaseDuration());
        assertEquals(List.of("default"), login.getAuthPolicies());
        assertTrue(login.isAuthRenewable());
        assertEquals(1200, driver(login.getAuthClientToken()).auth().lookupSelf().getTTL());

        VaultException wrong = assertThrows(VaultException.class,
                () -> driver(null).auth().loginByAppRole("role-1", "not-the-secret"));
        assertEquals(400, wrong.getHttpStatusCode());
    }

    @Test
    void kubernetesLoginAcceptsOnlyTheRolesServiceAccountJwt() throws Exception {
        vault.addKubernetesRole("sluice", "eyJ.jwt.sig");
        AuthResponse login = driver(null).auth().loginByKubernetes("sluice", "eyJ.jwt.sig");
        String token = login.getAuthClientToken();
        assertFalse(token.isEmpty());
        driver(token).logical().write("secret/k8s", Map.of("ok", "yes"));
        assertEquals("yes", driver(token).logical().read("secret/k8s").getData().get("ok"));

        VaultException wrong = assertThrows(VaultException.class,
                () -> driver(null).auth().loginByKubernetes("sluice", "someone.elses.jwt"));
        assertEquals(403, wrong.getHttpStatusCode());
    }

    @Test
    void sealedVaultAnswers503ThroughTheDriver() throws Exception {
        Vault v = driver(rootToken);
        v.logical().write("secret/x", Map.of("a", "1"));
        vault.seal();
        VaultException read = assertThrows(VaultException.class, () -> v.logical().read("secret/x"));
        assertEquals(503, read.getHttpStatusCode());
        VaultException lookup = assertThrows(VaultException.class, () -> v.auth().lookupSelf());
        assertEquals(503, lookup.getHttpStatusCode());
        assertEquals("{\"errors\":[\"Vault is sealed\"]}", raw("GET", "/v1/secret/data/x", rootToken).body());
        vault.unseal();
        assertEquals("1", v.logical().read("secret/x").getData().get("a"));
    }

    @Test
    void stoppedVaultIsUnreachableForTheDriver() throws Exception {
        Vault v = driver(rootToken);
        vault.close();
        VaultException e = assertThrows(VaultException.class, () -> v.logical().read("secret/x"));
        assertNotEquals(200, e.getHttpStatusCode());
    }

    @Test
    void aVaultThatWentAwayComesBackOnItsAddressWithItsState() throws Exception {
        Vault v = driver(rootToken);
        v.logical().write("secret/kept", Map.of("a", "1"));
        vault.goAway();
        VaultException away = assertThrows(VaultException.class, () -> v.logical().read("secret/kept"));
        assertNotEquals(200, away.getHttpStatusCode());
        vault.comeBack();
        assertEquals("1", v.logical().read("secret/kept").getData().get("a"), "same token, same data");
    }

    @Test
    void loginResponsesHaveTheExactShapeTheStrictDriverNeeds() throws Exception {
        vault.addAppRole("role-1", "secret-1");
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                        URI.create(vault.address() + "/v1/auth/approle/login"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"role_id\":\"role-1\",\"secret_id\":\"secret-1\"}"))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode());
        assertEquals(List.of("application/json"), response.headers().allValues("Content-Type"), "no charset");
        Map<String, Object> body = Json.parseObject(response.body());
        assertEquals(Boolean.FALSE, body.get("renewable"));
        Map<?, ?> auth = (Map<?, ?>) body.get("auth");
        assertEquals(List.of("default"), auth.get("policies"));
        assertEquals(3600L, auth.get("lease_duration"));
        assertEquals(Boolean.TRUE, auth.get("renewable"));
    }

    @Test
    void driverRefusesALoginAnsweredWithACharsetParameterSoTheExactTypeMatters() throws Exception {
        vault.addAppRole("role-1", "secret-1");
        vault.contentType("application/json; charset=utf-8");
        assertThrows(VaultException.class, () -> driver(null).auth().loginByAppRole("role-1", "secret-1"));
        vault.contentType("application/json");
        assertFalse(driver(null).auth().loginByAppRole("role-1", "secret-1").getAuthClientToken().isEmpty());
    }

    @Test
    void softDeleteOfTheLatestVersionKeepsOlderVersionsReadable() throws Exception {
        Vault v = driver(rootToken);
        v.logical().write("secret/soft", Map.of("a", "1"));
        v.logical().write("secret/soft", Map.of("a", "2"));
        assertEquals(204, raw("DELETE", "/v1/secret/data/soft", rootToken).statusCode());
        assertEquals(404, v.logical().read("secret/soft").getRestResponse().getStatus());
        assertEquals("1", v.logical().read("secret/soft", false, 1).getData().get("a"));
    }

    @Test
    void renewalStopsAtTheMaxTtlAsVaultCapsIt() throws Exception {
        String token = vault.issueToken(Duration.ofMinutes(10), Duration.ofMinutes(15), "sluice");
        advance(Duration.ofMinutes(8));
        assertEquals(420, driver(token).auth().renewSelf().getAuthLeaseDuration(), "capped to the 7 min left");
        advance(Duration.ofMinutes(7));
        VaultException e = assertThrows(VaultException.class, () -> driver(token).auth().lookupSelf());
        assertEquals(403, e.getHttpStatusCode());
    }

    @Test
    void aNonRenewableTokenIsRefusedRenewalAndRefusedRenewalsAre403() throws Exception {
        String fixed = vault.issueNonRenewableToken(Duration.ofMinutes(10), "sluice");
        assertFalse(driver(fixed).auth().lookupSelf().isRenewable());
        assertEquals(400, assertThrows(VaultException.class, () -> driver(fixed).auth().renewSelf())
                .getHttpStatusCode());
        vault.refuseRenewals(true);
        assertEquals(403, assertThrows(VaultException.class, () -> driver(rootToken).auth().renewSelf())
                .getHttpStatusCode());
    }

    @Test
    void revokedTokensAreRefusedAsExpiredOnesAre() throws Exception {
        vault.addAppRole("role-1", "secret-1");
        String login = driver(null).auth().loginByAppRole("role-1", "secret-1").getAuthClientToken();
        String issued = vault.issueToken(Duration.ofHours(1), "sluice");
        vault.revokeLogins();
        assertEquals(403, driver(login).logical().read("secret/x").getRestResponse().getStatus());
        assertEquals(404, driver(issued).logical().read("secret/x").getRestResponse().getStatus());
        vault.revoke(issued);
        assertEquals(403, driver(issued).logical().read("secret/x").getRestResponse().getStatus());
        assertTrue(vault.tokensIssued().containsAll(List.of(login, issued)));
    }

    @Test
    void loginsWorkOnACustomAuthMount() throws Exception {
        vault.addAppRole("role-1", "secret-1");
        vault.addKubernetesRole("sluice", "jwt");
        assertFalse(driver(null).auth().loginByAppRole("apps", "role-1", "secret-1").getAuthClientToken().isEmpty());
        assertFalse(driver(null).auth().loginByKubernetes("sluice", "jwt", "auth/k8s-east").getAuthClientToken()
                .isEmpty());
        assertEquals(1, vault.count("POST", "auth/apps/login"));
        assertEquals(1, vault.count("POST", "auth/k8s-east/login"));
    }

    @Test
    void listShowsNestedFoldersWithATrailingSlashAndCountsAsList() throws Exception {
        vault.put("secret/sluice/keys/acme/k1", Map.of("sha256", "00"));
        vault.put("secret/sluice/keys/globex/k2", Map.of("sha256", "11"));
        vault.put("secret/sluice/keys/top", Map.of("sha256", "22"));
        assertEquals(List.of("acme/", "globex/", "top"), driver(rootToken).logical().list("secret/sluice/keys")
                .getListData());
        raw("LIST", "/v1/secret/metadata/sluice/keys/acme/", rootToken);
        assertEquals(2, vault.count("LIST", "secret/metadata/sluice/keys"));
        assertEquals(0, vault.count("GET", "secret/metadata/"));
    }

    @Test
    void metadataShowsASoftDeletedCurrentVersion() throws Exception {
        vault.put("secret/a", Map.of("x", "1"));
        vault.softDelete("secret/a");
        String body = raw("GET", "/v1/secret/metadata/a", rootToken).body();
        assertFalse(body.contains("\"deletion_time\":\"\""), body);
        assertEquals(404, driver(rootToken).logical().read("secret/a").getRestResponse().getStatus());
    }

    @Test
    void deniedPathsFailedRequestsAndGarbageAreServedAsAsked() throws Exception {
        Vault v = driver(rootToken);
        v.logical().write("secret/a", Map.of("x", "1"));
        vault.deny("secret/data/a");
        assertEquals(403, v.logical().read("secret/a").getRestResponse().getStatus());
        vault.failNext("secret/metadata/b", 500);
        assertEquals(500, raw("GET", "/v1/secret/metadata/b", rootToken).statusCode());
        assertEquals(404, raw("GET", "/v1/secret/metadata/b", rootToken).statusCode(), "only the next one");
        vault.garble("secret/metadata/c");
        assertEquals("<html>not vault</html>", raw("GET", "/v1/secret/metadata/c", rootToken).body());
    }

    @Test
    void theNamespaceHeaderIsRecordedPerRequest() throws Exception {
        VaultConfig config = new VaultConfig().address(vault.address()).token(rootToken).engineVersion(2)
                .nameSpace("team-a").httpClient(http).build();
        Vault.create(config, 2).logical().write("secret/a", Map.of("x", "1"));
        raw("GET", "/v1/secret/metadata/a", rootToken);
        assertEquals(List.of("team-a", ""), vault.namespaces());
    }

    @Test
    void latencyIsSpentOutsideTheLockSoConcurrentRequestsOverlap() throws Exception {
        vault.latency(Duration.ofMillis(500));
        List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> replies = new java.util.ArrayList<>();
        long start = System.nanoTime();
        for (int i = 0; i < 8; i++) {
            replies.add(http.sendAsync(HttpRequest.newBuilder(URI.create(vault.address() + "/v1/secret/metadata/x"))
                    .header("X-Vault-Token", rootToken).timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        for (var reply : replies) {
            assertEquals(404, reply.get().statusCode());
        }
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertTrue(took.compareTo(Duration.ofMillis(3_500)) < 0, "8 x 500 ms in a row would be 4 s: " + took);
        assertEquals(8, vault.count("GET", "secret/metadata/x"));
    }

    private HttpResponse<String> raw(String method, String path, String token) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(vault.address() + path))
                .method(method, HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(30));
        if (token != null) {
            request.header("X-Vault-Token", token);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
