package dev.sluice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.config.testing.VaultTestServer;
import dev.sluice.gateway.TestServer.Reply;
import dev.sluice.tenancy.auth.KeyFormat;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A gateway configured with {@code vault-*} keys against {@link VaultTestServer}, driven by the real Vault client,
 * over real HTTP: plans, tenants and keys declared in Vault are served and applied live on refresh, shown as
 * managed and refused for edits in the admin API; an invalid change and a sealed Vault leave the last-known-good
 * serving, with the reason in {@code /admin/v1/config} and the readiness details.
 */
class VaultGatewayTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String KEY_ID = "00c0ffee00c0ffee";

    @TempDir
    Path dataDir;
    VaultTestServer vault;
    String token;
    TestServer server;
    /** The declared key, as a client presents it (the shape Terraform can build). */
    String apiKey;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeEach
    void start() {
        vault = VaultTestServer.start(InstantSource.system());
        token = vault.issueToken(Duration.ZERO);
        String secret = KeyFormat.newSecret(new SecureRandom());
        apiKey = "sluice_sk_" + KEY_ID + "_" + secret;
        write("plans/pro", "{\"requests-per-second\": 1, \"burst\": 2}");
        write("tenants/acme", "{\"plan\": \"pro\"}");
        write("keys/acme/" + KEY_ID, "{\"name\": \"ci\", \"sha256\": \"" + KeyFormat.hex(KeyFormat.sha256(secret))
                + "\", \"scopes\": [\"invoke\", \"read\"]}");
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        vault.close();
    }

    private TestServer gateway(Map<String, String> extra) {
        Map<String, String> settings = new HashMap<>(Map.of("vault-address", vault.address(),
                // Only the test's refreshes check Vault: nothing changes behind its back.
                "config-poll-ms", "3600000", "vault-timeout-ms", "2000"));
        settings.putAll(extra);
        server = TestServer.start(dataDir, settings,
                config -> Sluice.builder().config(config).environment(Map.of("VAULT_TOKEN", token)));
        return server;
    }

    /** Writes a Vault path (relative to secret/sluice) as Terraform does: JSON numbers and arrays as they are. */
    private void write(String path, String dataJson) {
        try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                            URI.create(vault.address() + "/v1/secret/data/sluice/" + path))
                    .header("X-Vault-Token", token)
                    .POST(HttpRequest.BodyPublishers.ofString("{\"data\": " + dataJson + "}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, response.statusCode(), response.body());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private JsonNode refresh() {
        Reply reply = server.admin("POST", "/admin/v1/config/refresh", null);
        assertEquals(200, reply.status(), reply.toString());
        return reply.json();
    }

    private Reply list(String key) {
        return server.call(key, "GET", "/v1/functions", null, null);
    }

    @Test
    void aTenantAndKeyDeclaredInVaultAuthenticateAndAPlanChangeAppliesToTheNextRequestsAfterRefresh() {
        gateway(Map.of());
        assertEquals(200, list(apiKey).status());
        assertEquals(200, list(apiKey).status());
        Reply limited = list(apiKey);
        assertEquals(429, limited.status(), "the declared plan's burst of 2: " + limited);
        assertEquals(401, list("sluice_sk_" + KEY_ID + "_" + KeyFormat.newSecret(new SecureRandom())).status(),
                "the declared id with another secret");

        write("plans/pro", "{\"requests-per-second\": 1, \"burst\": 5}");
        JsonNode result = refresh();
        assertEquals("applied", result.get("result").asText(), result.toString());
        assertTrue(result.get("changed").toString().contains("plans/pro"), result.toString());
        Reply after = list(apiKey);
        assertEquals(200, after.status(), "the raised burst applies at once: " + after);
        assertTrue(after.header("RateLimit-Policy").orElseThrow().contains("q=5"), after.toString());

        assertEquals("unchanged", refresh().get("result").asText());
    }

    @Test
    void theAdminApiShowsManagedByVaultAndRefusesEditsWith409() {
        gateway(Map.of());
        JsonNode tenant = server.admin("GET", "/admin/v1/tenants/acme", null).json();
        assertEquals("vault", tenant.get("managed-by").asText(), tenant.toString());
        assertTrue(tenant.get("uid").asText().matches("acme\\.[0-9a-f]{32}"), tenant.toString());
        assertEquals(2, tenant.get("limits").get("burst").asLong());
        assertEquals("vault", server.admin("GET", "/admin/v1/plans/pro", null).json().get("managed-by").asText());
        JsonNode keys = server.admin("GET", "/admin/v1/tenants/acme/keys", null).json().get("keys");
        assertEquals(KEY_ID, keys.get(0).get("id").asText(), keys.toString());
        assertEquals("vault", keys.get(0).get("managed-by").asText(), keys.toString());

        String tenantPath = "(vault secret/sluice/tenants/acme)";
        String planPath = "(vault secret/sluice/plans/pro)";
        String keyPath = "(vault secret/sluice/keys/acme/" + KEY_ID + ")";
        for (String[] edit : new String[][] {{"PUT", "/admin/v1/tenants/acme", "{\"burst\": 9}", tenantPath},
                {"PUT", "/admin/v1/tenants/acme", "{\"not-a-field\": true}", tenantPath},
                {"DELETE", "/admin/v1/tenants/acme", null, tenantPath},
                {"PUT", "/admin/v1/plans/pro", "{\"burst\": 9}", planPath},
                {"PUT", "/admin/v1/plans/pro", "not json", planPath},
                {"DELETE", "/admin/v1/plans/pro", null, planPath},
                {"DELETE", "/admin/v1/tenants/acme/keys/" + KEY_ID, null, keyPath},
                {"POST", "/admin/v1/tenants/acme/keys/" + KEY_ID + "/rotate", "{}", keyPath}}) {
            Reply reply = server.admin(edit[0], edit[1], edit[2]);
            assertEquals(409, reply.status(), edit[0] + " " + edit[1] + ": " + reply);
            assertEquals("managed-elsewhere", reply.problemType());
            assertEquals("vault", reply.json().get("managed-by").asText());
            assertTrue(reply.json().get("detail").asText().contains(edit[3]), "names where to change it: " + reply);
        }
        assertEquals(200, list(apiKey).status(), "nothing was deleted: the declared key still works");

        Reply stored = server.admin("PUT", "/admin/v1/tenants/initech", "{\"burst\": 3}");
        assertEquals(201, stored.status(), "the admin API's own tenants stay editable: " + stored);
        assertFalse(stored.json().has("managed-by"), stored.toString());
        assertEquals(200, server.admin("PUT", "/admin/v1/tenants/initech", "{\"burst\": 4}").status());
    }

    @Test
    void anInvalidPlanInVaultIsRefusedTheOldOneKeepsServingAndTheConfigShowsTheReason() {
        gateway(Map.of());
        write("plans/pro", "{\"requests-per-second\": 1, \"burst\": 0}");
        JsonNode result = refresh();
        assertEquals("refused", result.get("result").asText(), result.toString());
        String reason = result.get("reason").asText();
        assertTrue(reason.startsWith("vault secret/sluice/plans/pro: burst: 0"), reason);

        assertEquals(200, list(apiKey).status());
        assertEquals(200, list(apiKey).status());
        assertEquals(429, list(apiKey).status(), "the old plan's burst of 2 still applies");

        JsonNode config = server.admin("GET", "/admin/v1/config", null).json();
        assertEquals("vault", config.get("source").asText());
        assertEquals("DEGRADED", config.get("state").asText(), config.toString());
        assertTrue(config.get("reason").asText().contains(reason), config.toString());
        assertEquals(1, config.get("counters").get("refusals").asLong(), config.toString());
        assertEquals(1, config.get("vault").get("paths").get("secret/sluice/plans/pro").asLong(),
                "the version in force is the first: " + config);
        Reply ready = server.send(server.request("GET", "/health/ready", null, null));
        assertEquals(200, ready.status(), "a refused change leaves the gateway ready: " + ready);
        assertEquals("DEGRADED", ready.json().get("config").get("state").asText());

        write("plans/pro", "{\"requests-per-second\": 1, \"burst\": 4}");
        assertEquals("applied", refresh().get("result").asText());
        assertEquals("OK", server.admin("GET", "/admin/v1/config", null).json().get("state").asText());
    }

    @Test
    void aSealedVaultLeavesRequestsServedAndTheGatewayReadyWithConfigDegraded() {
        gateway(Map.of());
        vault.seal();
        JsonNode result = refresh();
        assertEquals("unavailable", result.get("result").asText(), result.toString());
        assertTrue(result.get("reason").asText().contains("sealed"), result.toString());
        assertFalse(result.toString().contains(token), "never the token");

        assertEquals(200, list(apiKey).status(), "the declared key keeps working from the last-known-good");
        Reply ready = server.send(server.request("GET", "/health/ready", null, null));
        assertEquals(200, ready.status(), ready.toString());
        assertEquals("READY", ready.json().get("status").asText());
        JsonNode config = ready.json().get("config");
        assertEquals("vault", config.get("source").asText());
        assertEquals("DEGRADED", config.get("state").asText());
        assertTrue(config.get("reason").asText().contains("sealed"), config.toString());

        vault.unseal();
        refresh();
        assertEquals("OK", server.send(server.request("GET", "/health/ready", null, null)).json().get("config")
                .get("state").asText());
    }

    @Test
    void aGatewayThatNeverReachedVaultIsNotReady() {
        vault.close();
        gateway(Map.of("vault-timeout-ms", "200"));
        Reply ready = server.send(server.request("GET", "/health/ready", null, null));
        assertEquals(503, ready.status(), ready.toString());
        assertEquals("STARTING", ready.json().get("status").asText());
        assertEquals("STARTING", ready.json().get("config").get("state").asText(), ready.toString());
        assertTrue(ready.json().has("quota-fallbacks"), "the existing members stay: " + ready);
    }

    @Test
    void theConfigEndpointsNeedTheAdminTokenAndShowNoSecretValues() {
        gateway(Map.of("worker-secret", "worker-secret-value-0123456789abcdef",
                "redis-uri", "redis://:hunter2-password@127.0.0.1:6390"));
        for (String[] route : new String[][] {{"GET", "/admin/v1/config"}, {"POST", "/admin/v1/config/refresh"}}) {
            Reply anonymous = server.call(null, route[0], route[1], null, null);
            assertEquals(401, anonymous.status(), anonymous.toString());
            assertEquals("unauthorized", anonymous.problemType());
            Reply tenant = server.call(apiKey, route[0], route[1], null, null);
            assertEquals(401, tenant.status(), "a tenant's key is no admin token: " + tenant);
        }
        Reply shown = server.admin("GET", "/admin/v1/config", null);
        assertEquals(200, shown.status(), shown.toString());
        JsonNode config = shown.json();
        assertEquals("OK", config.get("state").asText(), config.toString());
        assertEquals(vault.address(), config.get("vault").get("address").asText());
        assertEquals(1, config.get("vault").get("paths").get("secret/sluice/keys/acme/" + KEY_ID).asLong());
        assertEquals("1000", config.get("live-keys").get("default-burst").asText());
        assertTrue(config.get("restart-only-keys").toString().contains("\"worker-secret\""), config.toString());
        assertFalse(shown.body().contains("worker-secret-value") || shown.body().contains("hunter2")
                || shown.body().contains(token), shown.body());
    }

    @Test
    void aDefaultChangedInVaultsConfigAppliesToTenantsOnNoPlan() {
        gateway(Map.of());
        String stored = server.tenantWithKey("initech", "{}");
        write("config", "{\"default-burst\": \"1\", \"default-requests-per-second\": \"1\"}");
        JsonNode result = refresh();
        assertEquals("applied", result.get("result").asText(), result.toString());
        assertTrue(result.get("changed").toString().contains("default-burst"), result.toString());
        assertEquals(200, list(stored).status());
        Reply limited = list(stored);
        assertEquals(429, limited.status(), "the new default burst of 1 applies at once: " + limited);
        assertEquals(1, server.admin("GET", "/admin/v1/tenants/initech", null).json().get("limits").get("burst")
                .asLong());
        assertEquals("1", server.admin("GET", "/admin/v1/config", null).json().get("live-keys")
                .get("default-burst").asText());
        assertEquals(Optional.empty(), Optional.ofNullable(
                server.admin("GET", "/admin/v1/tenants/initech", null).json().get("managed-by")));
    }

    @Test
    void functionSecretsAreKeptInVaultUnderTheDeclaredTenantsUid() throws Exception {
        String secret = KeyFormat.newSecret(new SecureRandom());
        String deployKey = "sluice_sk_00000000000000d1_" + secret;
        write("keys/acme/00000000000000d1", "{\"name\": \"deployer\", \"sha256\": \""
                + KeyFormat.hex(KeyFormat.sha256(secret)) + "\"}");
        gateway(Map.of());
        assertEquals(201, server.deploy(deployKey, "hello", dev.sluice.scheduler.testing.TestModules.load("hello"))
                .status());
        Reply put = server.call(deployKey, "PUT", "/v1/functions/hello/secrets/API_TOKEN",
                "{\"value\": \"tok-0123456789\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8),
                "application/json");
        assertEquals(201, put.status(), put.toString());
        assertFalse(put.body().contains("tok-0123456789"), put.body());

        String uid = server.admin("GET", "/admin/v1/tenants/acme", null).json().get("uid").asText();
        HttpResponse<String> stored = http.send(HttpRequest.newBuilder(URI.create(vault.address()
                        + "/v1/secret/data/sluice/secrets/" + uid + "/hello/API_TOKEN"))
                .header("X-Vault-Token", token).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, stored.statusCode(), stored.body());
        assertEquals("tok-0123456789", JSON.readTree(stored.body()).get("data").get("data").get("value").asText());

        server.advance(Duration.ofSeconds(2)); // the plan's burst of 2 refills
        Reply listed = server.call(deployKey, "GET", "/v1/functions/hello/secrets", null, null);
        assertEquals(200, listed.status(), listed.toString());
        assertTrue(listed.body().contains("API_TOKEN") && !listed.body().contains("tok-0123456789"), listed.body());
        assertEquals("unchanged", refresh().get("result").asText(), "a secret written is no configuration change");

        assertEquals(409, server.admin("DELETE", "/admin/v1/tenants/acme", null).status());
        server.advance(Duration.ofSeconds(2));
        assertEquals(200, server.call(deployKey, "GET", "/v1/functions/hello", null, null).status(),
                "a refused deletion removed none of the tenant's functions");
        assertEquals(200, http.send(HttpRequest.newBuilder(URI.create(vault.address()
                        + "/v1/secret/data/sluice/secrets/" + uid + "/hello/API_TOKEN"))
                .header("X-Vault-Token", token).GET().build(), HttpResponse.BodyHandlers.ofString()).statusCode(),
                "nor its secrets");
    }

    @Test
    void aGatewayStartedWhileVaultIsSealedTurnsReadyAndServesTheDeclaredTenantsOnceItCanReadIt() {
        vault.seal();
        gateway(Map.of());
        Reply starting = server.send(server.request("GET", "/health/ready", null, null));
        assertEquals(503, starting.status(), starting.toString());
        assertEquals("STARTING", starting.json().get("config").get("state").asText(), starting.toString());
        assertEquals(401, list(apiKey).status(), "Vault's tenants are unknown until it is read");

        vault.unseal();
        // The sealed login at start is remembered for a second (logins back off, so a sealed or hanging Vault is
        // not asked by every caller at once); an operator's refresh after that reads it.
        JsonNode early = refresh();
        assertEquals("unavailable", early.get("result").asText(), early.toString());
        assertTrue(early.get("reason").asText().contains("the last login failed"), early.toString());
        server.advance(Duration.ofSeconds(2));
        assertEquals("applied", refresh().get("result").asText());
        Reply ready = server.send(server.request("GET", "/health/ready", null, null));
        assertEquals(200, ready.status(), ready.toString());
        assertEquals("OK", ready.json().get("config").get("state").asText());
        assertEquals(200, list(apiKey).status());
    }

    /**
     * Review r2 #1: a first Vault tree that is refused must not make the gateway ready with none of the tenants
     * declared there (a rolling deploy would retire the replicas still serving them). It stays STARTING (503) with the
     * refusal as its reason until a tree applies; only then is it ready.
     */
    @Test
    void invalidDeclarationsAtStartKeepTheGatewayStartingAndUnreadyUntilFixed() {
        write("tenants/acme", "{\"plan\": \"pro\", \"burst\": \"lots\"}");
        gateway(Map.of());
        Reply starting = server.send(server.request("GET", "/health/ready", null, null));
        assertEquals(503, starting.status(), "refused at start: Vault's tenants are not known yet " + starting);
        assertEquals("STARTING", starting.json().get("config").get("state").asText(), starting.toString());
        assertTrue(starting.json().get("config").get("reason").asText()
                .contains("vault secret/sluice/tenants/acme: burst: \"lots\""), starting.toString());
        JsonNode config = server.admin("GET", "/admin/v1/config", null).json();
        assertEquals("STARTING", config.get("state").asText(), config.toString());
        assertTrue(config.get("reason").asText().contains("vault secret/sluice/tenants/acme: burst: \"lots\""),
                config.toString());
        assertEquals(401, list(apiKey).status());

        write("tenants/acme", "{\"plan\": \"pro\"}");
        assertEquals("applied", refresh().get("result").asText());
        Reply ready = server.send(server.request("GET", "/health/ready", null, null));
        assertEquals(200, ready.status(), ready.toString());
        assertEquals("OK", ready.json().get("config").get("state").asText(), ready.toString());
        assertEquals(200, list(apiKey).status(), "the declared key works once the tree applied");

        write("tenants/acme", "{\"plan\": \"pro\", \"burst\": \"lots\"}");
        assertEquals("refused", refresh().get("result").asText());
        Reply degraded = server.send(server.request("GET", "/health/ready", null, null));
        assertEquals(200, degraded.status(), "refused after a tree applied: ready on the last-known-good " + degraded);
        assertEquals("DEGRADED", degraded.json().get("config").get("state").asText(), degraded.toString());
        assertEquals(200, list(apiKey).status(), "the last-known-good keeps serving");
    }

    /** Review r2 #1: the same for a key of an undeclared tenant, the refusal the review reproduced. */
    @Test
    void aKeyOfAnUndeclaredTenantAtStartKeepsTheGatewayStarting() {
        write("keys/ghost/00000000000000f3", "{\"name\": \"x\", \"sha256\": \""
                + KeyFormat.hex(KeyFormat.sha256(KeyFormat.newSecret(new SecureRandom()))) + "\"}");
        gateway(Map.of());
        Reply starting = server.send(server.request("GET", "/health/ready", null, null));
        assertEquals(503, starting.status(), starting.toString());
        assertEquals("STARTING", starting.json().get("config").get("state").asText(), starting.toString());
        assertTrue(starting.json().get("config").get("reason").asText().contains("keys/ghost/00000000000000f3"),
                starting.toString());

        vault.softDelete("secret/sluice/keys/ghost/00000000000000f3");
        assertEquals("applied", refresh().get("result").asText());
        assertEquals(200, server.send(server.request("GET", "/health/ready", null, null)).status());
        assertEquals(200, list(apiKey).status());
    }

    /**
     * Review r2 #2, as documented (vault.md "Removing a tenant"): a soft delete ({@code vault kv delete}) is Vault's
     * reversible delete, and Sluice treats it so. The tenant stops authenticating at the next poll; the path written
     * again is the same tenant: same uid and {@code created-at} (the path's metadata creation time, which a soft delete
     * keeps), and its functions are there again. Only destroying the metadata ends a tenant.
     */
    @Test
    void aSoftDeletedTenantStopsAuthenticatingAndWrittenAgainIsTheSameTenantWithItsFunctions() {
        String secret = KeyFormat.newSecret(new SecureRandom());
        String deployKey = "sluice_sk_00000000000000d7_" + secret;
        String keyJson = "{\"name\": \"deployer\", \"sha256\": \"" + KeyFormat.hex(KeyFormat.sha256(secret))
                + "\", \"scopes\": [\"deploy\", \"read\"]}";
        write("keys/acme/00000000000000d7", keyJson);
        gateway(Map.of());
        assertEquals(201, server.deploy(deployKey, "hello", dev.sluice.scheduler.testing.TestModules.load("hello"))
                .status());
        JsonNode before = server.admin("GET", "/admin/v1/tenants/acme", null).json();

        vault.softDelete("secret/sluice/keys/acme/00000000000000d7");
        vault.softDelete("secret/sluice/keys/acme/" + KEY_ID);
        vault.softDelete("secret/sluice/tenants/acme");
        assertEquals("applied", refresh().get("result").asText());
        assertEquals(404, server.admin("GET", "/admin/v1/tenants/acme", null).status());
        server.advance(Duration.ofSeconds(2));
        assertEquals(401, list(deployKey).status(), "a soft-deleted tenant stops authenticating");

        write("tenants/acme", "{\"plan\": \"pro\"}");
        write("keys/acme/00000000000000d7", keyJson);
        assertEquals("applied", refresh().get("result").asText());
        JsonNode after = server.admin("GET", "/admin/v1/tenants/acme", null).json();
        assertEquals(before.get("uid").asText(), after.get("uid").asText(), "the same tenant, like vault kv undelete");
        assertEquals(before.get("created-at").asText(), after.get("created-at").asText(),
                "created-at is the path's creation time, which the uid is derived from");
        server.advance(Duration.ofSeconds(2));
        Reply functions = list(deployKey);
        assertEquals(200, functions.status(), functions.toString());
        assertTrue(functions.body().contains("\"hello\""), "its functions are there again: " + functions);
    }

    /** Vault's config may set restart-only keys: at start they apply, so a gateway may take its worker set from it. */
    @Test
    void aGatewaysWorkerSecretAndWorkersMayComeFromVaultsConfig(@TempDir Path clusterDir) throws Exception {
        InJvmCluster cluster = new InJvmCluster(() -> clusterDir);
        try {
            WorkerRole worker = cluster.worker("a", Map.of());
            write("config", "{\"worker-secret\": \"" + InJvmCluster.SECRET + "\", \"worker-addresses\": "
                    + "\"127.0.0.1:" + worker.port() + "\"}");
            TestServer gateway = cluster.closeAtEnd(TestServer.start(clusterDir.resolve("gateway"),
                    Map.of("vault-address", vault.address(), "config-poll-ms", "3600000"),
                    config -> GatewayRole.builder(config, Map.of("VAULT_TOKEN", token))));
            String key = gateway.tenantWithKey("initech", "{}");
            assertEquals(201, gateway.deploy(key, "hello", dev.sluice.scheduler.testing.TestModules.load("hello"))
                    .status());
            Reply reply = gateway.call(key, "POST", "/v1/functions/hello/invoke", new byte[0], "text/plain");
            assertEquals(200, reply.status(), reply.toString());
            assertEquals(1, worker.started(), "it ran on the worker Vault named");
            JsonNode config = gateway.admin("GET", "/admin/v1/config", null).json();
            assertFalse(config.toString().contains(InJvmCluster.SECRET), config.toString());
        } finally {
            cluster.afterEach(null);
        }
    }

    @Test
    void aFunctionKeepsItsVaultSecretsWhileVaultIsSealed() {
        String secret = KeyFormat.newSecret(new SecureRandom());
        String deployKey = "sluice_sk_00000000000000d2_" + secret;
        write("keys/acme/00000000000000d2", "{\"name\": \"deployer\", \"sha256\": \""
                + KeyFormat.hex(KeyFormat.sha256(secret)) + "\"}");
        write("plans/pro", "{\"requests-per-second\": 1000, \"burst\": 1000}");
        gateway(Map.of());
        assertEquals(201, server.deploy(deployKey, "env", dev.sluice.scheduler.testing.TestModules.load("env"))
                .status());
        assertEquals(201, server.call(deployKey, "PUT", "/v1/functions/env/secrets/DB_PASSWORD",
                "{\"value\": \"pw-0123456789\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8),
                "application/json").status());
        Reply before = server.call(deployKey, "GET", "/v1/functions/env/invoke", null, null);
        assertEquals(200, before.status(), before.toString());
        assertTrue(before.body().contains("DB_PASSWORD=pw-0123456789"), before.body());

        vault.seal();
        Reply sealed = server.call(deployKey, "GET", "/v1/functions/env/invoke", null, null);
        assertEquals(200, sealed.status(), "the values read last keep serving: " + sealed);
        assertTrue(sealed.body().contains("DB_PASSWORD=pw-0123456789"), sealed.body());
        Reply write = server.call(deployKey, "PUT", "/v1/functions/env/secrets/OTHER",
                "{\"value\": \"x\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8), "application/json");
        assertEquals(503, write.status(), "a write needs Vault: " + write);
        assertEquals("secrets-unavailable", write.problemType());
    }

    /**
     * Without any refresh: each gateway's poller finds a plan written to Vault within its period. Two gateways in
     * this JVM, each with its own data directory and Vault session, as separate processes would have.
     */
    @Test
    void aPlanWrittenToVaultReachesTwoGatewaysWithinThePollPeriod() throws Exception {
        Map<String, String> polled = Map.of("vault-address", vault.address(), "config-poll-ms", "200");
        Map<String, String> environment = Map.of("VAULT_TOKEN", token);
        try (TestServer a = TestServer.start(dataDir.resolve("a"), polled,
                     config -> Sluice.builder().config(config).environment(environment));
             TestServer b = TestServer.start(dataDir.resolve("b"), polled,
                     config -> Sluice.builder().config(config).environment(environment))) {
            long written = System.nanoTime();
            write("plans/pro", "{\"requests-per-second\": 1, \"burst\": 7}");
            for (TestServer gateway : List.of(a, b)) {
                // Generous: the poll period is 200 ms, but the machine may be busy.
                long deadline = written + Duration.ofSeconds(20).toNanos();
                while (gateway.admin("GET", "/admin/v1/plans/pro", null).json().get("limits").get("burst")
                        .asLong() != 7) {
                    assertTrue(System.nanoTime() < deadline, "the change never arrived");
                    Thread.sleep(20);
                }
            }
            long millis = Duration.ofNanos(System.nanoTime() - written).toMillis();
            System.out.println("VaultGatewayTest: a Vault write was in force on both gateways after " + millis
                    + " ms (config-poll-ms = 200)");
        }
    }
}
