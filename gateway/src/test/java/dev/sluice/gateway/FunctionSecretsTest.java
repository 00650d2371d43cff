package dev.sluice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.gateway.TestServer.Reply;
import dev.sluice.scheduler.testing.TestModules;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Function secrets through the real server and the production routing: written through the tenant API, shown only
 * by name and version, given to the guest in its environment, removed with their function and tenant, refused to
 * anyone but the function's tenant, and never in a response (but the guest's own output) or in the log.
 */
class FunctionSecretsTest {
    static final String KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    static final String OTHER_KEY = "HxwdHhscGhkYFxYVFBMSERAPDg0MCwoJCAcGBQQDAgE=";
    private static final String VALUE = "hunter2-correct-horse-battery-staple";

    @TempDir
    Path dataDir;
    /** The key the server (re)starts with; empty: SLUICE_SECRETS_KEY is not set. */
    final AtomicReference<Optional<String>> secretsKey = new AtomicReference<>(Optional.of(KEY));
    TestServer server;
    String key;

    @BeforeEach
    void start() {
        server = TestServer.start(dataDir, Map.of(),
                config -> Sluice.builder().config(config).secretsKey(secretsKey.get()));
        key = server.tenantWithKey("acme", "{}");
        assertEquals(201, server.deploy(key, "env", TestModules.load("env")).status());
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private Reply put(String apiKey, String function, String name, String json) {
        return server.call(apiKey, "PUT", "/v1/functions/" + function + "/secrets/" + name,
                json.getBytes(StandardCharsets.UTF_8), "application/json");
    }

    private Reply put(String name, String value) {
        return put(key, "env", name, "{\"value\": \"" + value + "\"}");
    }

    private Reply list(String apiKey, String function) {
        return server.call(apiKey, "GET", "/v1/functions/" + function + "/secrets", null, null);
    }

    private Reply delete(String apiKey, String function, String name) {
        return server.call(apiKey, "DELETE", "/v1/functions/" + function + "/secrets/" + name, null, null);
    }

    private List<String> environment(String function) {
        Reply reply = server.call(key, "GET", "/v1/functions/" + function + "/invoke", null, null);
        assertEquals(200, reply.status(), reply.toString());
        return Arrays.asList(reply.body().split("\n"));
    }

    private String issueKey(String tenant, String json) {
        Reply issued = server.admin("POST", "/admin/v1/tenants/" + tenant + "/keys", json);
        assertEquals(201, issued.status(), issued.toString());
        return issued.json().get("key").asText();
    }

    private String uid(String tenant) {
        return server.admin("GET", "/admin/v1/tenants/" + tenant, null).json().get("uid").asText();
    }

    @Test
    void theGuestSeesItsSecretsBesideTheCgiVariables() {
        assertEquals(201, put("DB_PASSWORD", VALUE).status());
        assertEquals(201, put("API_TOKEN", "t0k3n=with spaces").status());
        List<String> env = environment("env");
        assertTrue(env.contains("DB_PASSWORD=" + VALUE), env.toString());
        assertTrue(env.contains("API_TOKEN=t0k3n=with spaces"), env.toString());
        assertTrue(env.contains("REQUEST_METHOD=GET"), "the CGI variables are all still there: " + env);
        assertTrue(env.contains("SCRIPT_NAME=/v1/functions/env/invoke"), env.toString());

        assertEquals(201, server.deploy(key, "other", TestModules.load("env")).status());
        assertFalse(String.join("\n", environment("other")).contains(VALUE), "another function has none of them");
    }

    @Test
    void aPutAnswersNameVersionAndTimeButNeverTheValue() {
        Reply created = put("DB_PASSWORD", VALUE);
        assertEquals(201, created.status(), created.toString());
        assertEquals(Set.of("name", "version", "updated-at"), fields(created.json()));
        assertEquals("DB_PASSWORD", created.json().get("name").asText());
        assertEquals(1, created.json().get("version").asLong());
        assertEquals("2026-01-01T00:00:00Z", created.json().get("updated-at").asText());
        assertEquals("no-store", created.header("Cache-Control").orElse(""));
        assertEquals("/v1/functions/env/secrets/DB_PASSWORD", created.header("Location").orElse(""));
        assertFalse(created.body().contains(VALUE));

        server.advance(java.time.Duration.ofMinutes(1));
        Reply replaced = put("DB_PASSWORD", VALUE + "-rotated");
        assertEquals(200, replaced.status(), replaced.toString());
        assertEquals(2, replaced.json().get("version").asLong());
        assertEquals("2026-01-01T00:01:00Z", replaced.json().get("updated-at").asText());
        assertTrue(environment("env").contains("DB_PASSWORD=" + VALUE + "-rotated"), "the next call sees it");
    }

    @Test
    void theListShowsNamesAndVersionsNeverValues() {
        put("DB_PASSWORD", VALUE);
        put("DB_PASSWORD", VALUE);
        put("API_TOKEN", VALUE);
        Reply listed = list(key, "env");
        assertEquals(200, listed.status(), listed.toString());
        assertFalse(listed.body().contains(VALUE), listed.body());
        JsonNode secrets = listed.json().get("secrets");
        assertEquals(2, secrets.size());
        assertEquals("API_TOKEN", secrets.get(0).get("name").asText());
        assertEquals(1, secrets.get(0).get("version").asLong());
        assertEquals("DB_PASSWORD", secrets.get(1).get("name").asText());
        assertEquals(2, secrets.get(1).get("version").asLong());
        assertEquals(Set.of("name", "version", "updated-at"), fields(secrets.get(1)));
    }

    @Test
    void aDeletedSecretIsGoneFromTheNextCall() {
        put("DB_PASSWORD", VALUE);
        assertEquals(204, delete(key, "env", "DB_PASSWORD").status());
        assertEquals("not-found", delete(key, "env", "DB_PASSWORD").problemType());
        assertFalse(String.join("\n", environment("env")).contains(VALUE));
        assertEquals(0, list(key, "env").json().get("secrets").size());
        assertEquals(1, put("DB_PASSWORD", VALUE).json().get("version").asLong(), "a new secret starts again");
    }

    @Test
    void withoutCredentialsEverySecretsCallIs401() {
        put("DB_PASSWORD", VALUE);
        for (Reply reply : List.of(put(null, "env", "DB_PASSWORD", "{\"value\": \"x\"}"), list(null, "env"),
                delete(null, "env", "DB_PASSWORD"), list("sk_not-a-real-key", "env"))) {
            assertEquals(401, reply.status(), reply.toString());
            assertEquals("unauthorized", reply.problemType());
        }
        assertTrue(environment("env").contains("DB_PASSWORD=" + VALUE), "nothing changed");
    }

    @Test
    void anotherTenantsKeyFindsNoSuchFunction() {
        put("DB_PASSWORD", VALUE);
        String bravo = server.tenantWithKey("bravo", "{}");
        for (Reply reply : List.of(put(bravo, "env", "DB_PASSWORD", "{\"value\": \"stolen\"}"), list(bravo, "env"),
                delete(bravo, "env", "DB_PASSWORD"))) {
            assertEquals(404, reply.status(), reply.toString());
            assertEquals("not-found", reply.problemType());
            assertEquals("no function env", reply.json().get("detail").asText(), "as for any function route");
        }
        assertEquals(server.call(bravo, "GET", "/v1/functions/env", null, null).json().get("detail"),
                list(bravo, "env").json().get("detail"), "the same answer as describing the function");
        assertTrue(environment("env").contains("DB_PASSWORD=" + VALUE), "acme's secret is untouched");

        // bravo's own function of the same name has its own secrets.
        assertEquals(201, server.deploy(bravo, "env", TestModules.load("env")).status());
        assertEquals(0, list(bravo, "env").json().get("secrets").size());
        assertEquals(1, put(bravo, "env", "DB_PASSWORD", "{\"value\": \"bravo's\"}").json().get("version").asLong());
        assertTrue(environment("env").contains("DB_PASSWORD=" + VALUE));
    }

    @Test
    void aReadOnlyKeyListsButCannotWriteAndARestrictedKeyGetsWhatOtherRoutesGive() {
        put("DB_PASSWORD", VALUE);
        String readOnly = issueKey("acme", "{\"name\": \"ro\", \"scopes\": [\"read\"]}");
        assertEquals(200, list(readOnly, "env").status());
        for (Reply reply : List.of(put(readOnly, "env", "DB_PASSWORD", "{\"value\": \"x\"}"),
                delete(readOnly, "env", "DB_PASSWORD"))) {
            assertEquals(403, reply.status(), reply.toString());
            assertEquals("forbidden", reply.problemType());
            assertEquals("deploy", reply.json().get("scope").asText());
        }
        String invokeOnly = issueKey("acme", "{\"name\": \"invoke\", \"scopes\": [\"invoke\"]}");
        assertEquals("forbidden", list(invokeOnly, "env").problemType());

        String narrow = issueKey("acme", "{\"name\": \"narrow\", \"functions\": [\"other\"]}");
        Reply restricted = put(narrow, "env", "DB_PASSWORD", "{\"value\": \"x\"}");
        assertEquals(403, restricted.status(), restricted.toString());
        Reply describe = server.call(narrow, "GET", "/v1/functions/env", null, null);
        assertEquals(describe.status(), list(narrow, "env").status());
        assertEquals(describe.json().get("type"), list(narrow, "env").json().get("type"));
        assertTrue(environment("env").contains("DB_PASSWORD=" + VALUE), "nothing changed");
    }

    @Test
    void absurdNamesAreRefusedWithAProblemNeverA500() {
        Map<String, String> names = Map.of("HTTP_X", "invalid-request", "a", "invalid-request",
                "PATH_INFO", "invalid-request", "SLUICE_ADMIN", "invalid-request", "A%00B", "invalid-request",
                "%C3%9C", "invalid-request");
        names.forEach((name, type) -> {
            Reply reply = put(name, "x");
            assertEquals(400, reply.status(), name + ": " + reply);
            assertEquals(type, reply.problemType(), name);
            assertTrue(reply.json().get("detail").asText().length() < 300, reply.body());
        });
        assertEquals("not-found", put("A%2FB", "x").problemType(), "a slash is a path: no such route");
        Reply huge = put("X".repeat(10_000), "x");
        assertTrue(huge.status() == 400 || huge.status() == 414, huge.toString());
        assertTrue(Set.of("invalid-request", "uri-too-long").contains(huge.problemType()), huge.toString());
        Reply hugeButFits = put("X".repeat(1_000), "x");
        assertEquals("invalid-request", hugeButFits.problemType());
        assertTrue(hugeButFits.json().get("detail").asText().length() < 300, "the detail quotes a bounded part");
        assertEquals("invalid-name", put(key, "Not_A_Function", "OK", "{\"value\": \"x\"}").problemType());
        assertEquals(0, list(key, "env").json().get("secrets").size(), "nothing was stored");
    }

    @Test
    void valuesAndBodiesBreakingTheRulesAreRefusedWithoutEchoingTheValue() {
        Reply tooBig = put("BIG", "v".repeat(40 * 1024));
        assertEquals(400, tooBig.status(), tooBig.status() + "");
        assertEquals("invalid-request", tooBig.problemType());
        assertFalse(tooBig.body().contains("vvvv"));

        byte[] overCap = ("{\"value\": \"" + "v".repeat(70 * 1024) + "\"}").getBytes(StandardCharsets.UTF_8);
        Reply tooLarge = server.call(key, "PUT", "/v1/functions/env/secrets/BIG", overCap, "application/json");
        assertEquals(413, tooLarge.status());
        assertEquals("payload-too-large", tooLarge.problemType());

        Reply unquoted = put(key, "env", "DB_PASSWORD", "{\"value\": " + VALUE + "}");
        assertEquals("invalid-request", unquoted.problemType());
        assertFalse(unquoted.body().contains("hunter2"), "a malformed body is not echoed: " + unquoted.body());
        Reply notJson = put(key, "env", "DB_PASSWORD", VALUE);
        assertEquals("invalid-request", notJson.problemType());
        assertFalse(notJson.body().contains("hunter2"), notJson.body());

        assertEquals("invalid-request", put(key, "env", "X", "{\"value\": 42}").problemType());
        assertEquals("invalid-request", put(key, "env", "X", "{}").problemType());
        assertEquals("invalid-request", put(key, "env", "X", "{\"value\": \"a\\u0000b\"}").problemType());
        assertEquals("invalid-request", put(key, "env", "X", "{\"value\": \"x\", \"note\": 1}").problemType());
        assertEquals("invalid-request", put(key, "env", "X", "[\"x\"]").problemType());
        assertEquals("unsupported-media-type", server.call(key, "PUT", "/v1/functions/env/secrets/X",
                "{\"value\": \"x\"}".getBytes(StandardCharsets.UTF_8), "text/plain").problemType());
        assertEquals(0, list(key, "env").json().get("secrets").size(), "nothing was stored");
        assertEquals(201, put("MAX", "v".repeat(32 * 1024)).status(), "the largest value fits");
    }

    @Test
    void theSixtyFifthSecretOfAFunctionIsRefused() {
        for (int i = 0; i < 64; i++) {
            assertEquals(201, put("S" + i, "v").status());
        }
        Reply refused = put("S64", "v");
        assertEquals(400, refused.status(), refused.toString());
        assertEquals("invalid-request", refused.problemType());
        assertTrue(refused.json().get("detail").asText().contains("at most 64"), refused.toString());
        assertEquals(200, put("S0", "replaced").status(), "replacing one is fine");
        assertEquals(64, list(key, "env").json().get("secrets").size());
        assertTrue(environment("env").contains("S63=v"));
    }

    @Test
    void deletingTheFunctionDeletesItsSecrets() {
        put("DB_PASSWORD", VALUE);
        Path file = dataDir.resolve("secrets").resolve(uid("acme")).resolve("env.secrets");
        assertTrue(Files.exists(file));
        assertEquals(204, server.call(key, "DELETE", "/v1/functions/env", null, null).status());
        assertFalse(Files.exists(file));
        assertEquals("not-found", list(key, "env").problemType(), "no function, no secrets");

        assertEquals(201, server.deploy(key, "env", TestModules.load("env")).status());
        assertEquals(0, list(key, "env").json().get("secrets").size(), "deployed again: none come back");
        assertFalse(String.join("\n", environment("env")).contains(VALUE));
    }

    @Test
    void deletingTheTenantDeletesItsFunctionsSecrets() {
        put("DB_PASSWORD", VALUE);
        assertEquals(201, server.deploy(key, "second", TestModules.load("env")).status());
        assertEquals(201, put(key, "second", "OTHER", "{\"value\": \"" + VALUE + "\"}").status());
        String bravo = server.tenantWithKey("bravo", "{}");
        assertEquals(201, server.deploy(bravo, "env", TestModules.load("env")).status());
        assertEquals(201, put(bravo, "env", "KEEP", "{\"value\": \"bravo\"}").status());
        Path acmeSecrets = dataDir.resolve("secrets").resolve(uid("acme"));
        assertTrue(Files.isDirectory(acmeSecrets));

        assertEquals(204, server.admin("DELETE", "/admin/v1/tenants/acme", null).status());
        assertFalse(Files.exists(acmeSecrets), "acme's secrets are gone from the disk");
        String again = server.tenantWithKey("acme", "{}");
        assertEquals(201, server.deploy(again, "env", TestModules.load("env")).status());
        assertEquals(0, list(again, "env").json().get("secrets").size());
        assertEquals(1, list(bravo, "env").json().get("secrets").size(), "bravo keeps its own");
    }

    @Test
    void withoutTheKeyTheSecretsApiIs503AndFunctionsWithoutSecretsStillRun() {
        server.close();
        secretsKey.set(Optional.empty());
        server = TestServer.start(dataDir.resolve("keyless"), Map.of(),
                config -> Sluice.builder().config(config).secretsKey(secretsKey.get()));
        key = server.tenantWithKey("acme", "{}");
        assertEquals(201, server.deploy(key, "env", TestModules.load("env")).status());
        for (Reply reply : List.of(put("DB_PASSWORD", VALUE), list(key, "env"), delete(key, "env", "X"))) {
            assertEquals(503, reply.status(), reply.toString());
            assertEquals("secrets-unavailable", reply.problemType());
            assertTrue(reply.json().get("detail").asText().contains("SLUICE_SECRETS_KEY"), reply.toString());
        }
        assertTrue(environment("env").contains("REQUEST_METHOD=GET"), "a function without secrets runs");
        assertEquals(204, server.call(key, "DELETE", "/v1/functions/env", null, null).status(),
                "and can be deleted");
    }

    @Test
    void aFunctionWhoseSecretsCannotBeDecryptedDoesNotRunAndCostsNoQuota() {
        put("DB_PASSWORD", VALUE);
        assertEquals(201, server.deploy(key, "plain", TestModules.load("env")).status());

        secretsKey.set(Optional.empty());
        server.restart();
        Reply keyless = server.call(key, "GET", "/v1/functions/env/invoke", null, null);
        assertEquals(503, keyless.status(), keyless.toString());
        assertEquals("secrets-unavailable", keyless.problemType());
        assertTrue(keyless.json().get("detail").asText().contains("SLUICE_SECRETS_KEY"), keyless.toString());
        assertFalse(keyless.body().contains(VALUE));
        assertEquals(200, server.call(key, "GET", "/v1/functions/plain/invoke", null, null).status());

        secretsKey.set(Optional.of(OTHER_KEY));
        server.restart();
        Reply wrongKey = server.call(key, "GET", "/v1/functions/env/invoke", null, null);
        assertEquals("secrets-unavailable", wrongKey.problemType());
        assertTrue(wrongKey.json().get("detail").asText().contains("does not match"), wrongKey.toString());
        assertFalse(wrongKey.json().get("detail").asText().contains(uid("acme")), "the uid is not the tenant's");
        assertEquals("secrets-unavailable", list(key, "env").problemType());
        assertEquals(1, server.call(key, "GET", "/v1/usage", null, null).json().get("total").get("invocations")
                .asLong(), "only the call that ran is counted");

        secretsKey.set(Optional.of(KEY));
        server.restart();
        assertTrue(environment("env").contains("DB_PASSWORD=" + VALUE), "the right key brings them back");
    }

    @Test
    void aMalformedKeyStopsTheStartNamingTheVariableNotTheKey() {
        server.close();
        String bad = "this-is-not-a-key";
        secretsKey.set(Optional.of(bad));
        var e = org.junit.jupiter.api.Assertions.assertThrows(dev.sluice.config.ConfigException.class,
                () -> TestServer.start(dataDir.resolve("bad"), Map.of(),
                        config -> Sluice.builder().config(config).secretsKey(secretsKey.get())));
        assertTrue(e.getMessage().startsWith("SLUICE_SECRETS_KEY: "), e.getMessage());
        assertFalse(e.getMessage().contains(bad));
        secretsKey.set(Optional.of(KEY));
        server = TestServer.start(dataDir.resolve("bad"), Map.of(),
                config -> Sluice.builder().config(config).secretsKey(secretsKey.get()));
        assertEquals(200, server.call(null, "GET", "/health", null, null).status(),
                "the failed start released the data directory");
    }

    @Test
    void theValueNeverReachesTheLogNorAnyResponseButTheGuestsOutput() {
        List<Reply> replies = new ArrayList<>();
        try (AllLogs logs = AllLogs.watch()) {
            replies.add(put("DB_PASSWORD", VALUE));
            replies.add(put("DB_PASSWORD", VALUE));
            replies.add(list(key, "env"));
            replies.add(put(key, "env", "HTTP_BAD", "{\"value\": \"" + VALUE + "\"}"));
            replies.add(put(key, "env", "DB_PASSWORD", "{\"value\": " + VALUE + "}"));
            replies.add(put(key, "env", "DB_PASSWORD", "{\"value\": \"" + VALUE + "\", \"x\": 1}"));
            replies.add(put(key, "nope", "DB_PASSWORD", "{\"value\": \"" + VALUE + "\"}"));
            assertEquals(201, server.deploy(key, "trap", TestModules.load("trap")).status());
            replies.add(put(key, "trap", "DB_PASSWORD", "{\"value\": \"" + VALUE + "\"}"));
            replies.add(server.call(key, "GET", "/v1/functions/trap/invoke", null, null));
            replies.add(server.call(key, "GET", "/v1/usage", null, null));
            replies.add(server.admin("GET", "/admin/v1/tenants/acme/usage", null));
            Reply invoked = server.call(key, "GET", "/v1/functions/env/invoke", null, null);
            assertTrue(invoked.body().contains("DB_PASSWORD=" + VALUE), "the guest printed it itself");

            secretsKey.set(Optional.of(OTHER_KEY));
            server.restart();
            replies.add(server.call(key, "GET", "/v1/functions/env/invoke", null, null));
            replies.add(delete(key, "env", "DB_PASSWORD"));
            assertTrue(logs.lines().size() > 0, "the log was captured");
            for (String line : logs.lines()) {
                assertFalse(line.contains("hunter2"), "the value in the log: " + line);
            }
        }
        for (Reply reply : replies) {
            assertFalse(reply.body().contains("hunter2"), "the value in a response: " + reply);
        }
    }

    /**
     * A function deleted while a secret is written for it: its deletion removed its secrets before this one came.
     * The write answers 404 and leaves nothing that a function deployed again under the name would get.
     */
    @Test
    void aSecretWrittenWhileItsFunctionIsDeletedDoesNotOutliveIt() {
        server.close();
        AtomicReference<Runnable> beforePut = new AtomicReference<>(() -> { });
        dev.sluice.config.secrets.FunctionSecrets files = dev.sluice.config.secrets.EncryptedFileSecrets.open(
                dataDir.resolve("racing"), Optional.of(KEY), java.time.Instant::now);
        dev.sluice.config.secrets.FunctionSecrets racing = new dev.sluice.config.secrets.FunctionSecrets() {
            @Override
            public dev.sluice.config.secrets.SecretVersion put(String owner, String function,
                    dev.sluice.config.secrets.SecretName name, dev.sluice.config.secrets.SecretValue value) {
                beforePut.getAndSet(() -> { }).run();
                return files.put(owner, function, name, value);
            }

            @Override
            public List<dev.sluice.config.secrets.SecretVersion> list(String owner, String function) {
                return files.list(owner, function);
            }

            @Override
            public boolean delete(String owner, String function, dev.sluice.config.secrets.SecretName name) {
                return files.delete(owner, function, name);
            }

            @Override
            public void deleteAll(String owner, String function) {
                files.deleteAll(owner, function);
            }

            @Override
            public Map<String, String> values(String owner, String function) {
                return files.values(owner, function);
            }
        };
        server = TestServer.start(dataDir.resolve("race"), Map.of(),
                config -> Sluice.builder().config(config).secrets(racing));
        key = server.tenantWithKey("acme", "{}");
        assertEquals(201, server.deploy(key, "env", TestModules.load("env")).status());
        beforePut.set(() -> assertEquals(204,
                server.call(key, "DELETE", "/v1/functions/env", null, null).status()));

        Reply put = put("DB_PASSWORD", VALUE);

        assertEquals(404, put.status(), put.toString());
        assertEquals(201, server.deploy(key, "env", TestModules.load("env")).status());
        assertEquals(0, list(key, "env").json().get("secrets").size(), "nothing came back");
        assertFalse(String.join("\n", environment("env")).contains(VALUE));
    }

    /** Another server role: the secrets reach a remote worker's guest too (the environment crosses the hop). */
    @Test
    void aRemoteWorkersGuestSeesTheSecretsToo(@TempDir Path clusterDir) throws Exception {
        InJvmCluster cluster = new InJvmCluster(() -> clusterDir);
        try {
            WorkerRole worker = cluster.worker("a", Map.of());
            TestServer gateway = remoteGateway(cluster, clusterDir, worker);
            String remoteKey = gateway.tenantWithKey("acme", "{}");
            assertEquals(201, gateway.deploy(remoteKey, "env", TestModules.load("env")).status());
            assertEquals(201, gateway.call(remoteKey, "PUT", "/v1/functions/env/secrets/DB_PASSWORD",
                    ("{\"value\": \"" + VALUE + "\"}").getBytes(StandardCharsets.UTF_8), "application/json")
                    .status());
            Reply reply = gateway.call(remoteKey, "GET", "/v1/functions/env/invoke", null, null);
            assertEquals(200, reply.status(), reply.toString());
            assertTrue(Arrays.asList(reply.body().split("\n")).contains("DB_PASSWORD=" + VALUE), reply.body());
            assertEquals(1, worker.started(), "it ran on the worker");
        } finally {
            cluster.afterEach(null);
        }
    }

    /**
     * 64 secrets of the largest value, each as escaped as a PUT body can make it, cross the hop: the worker takes an
     * environment that large on top of the largest request body.
     */
    @Test
    void aRemoteWorkerTakesTheLargestSecretsAFunctionMayHave(@TempDir Path clusterDir) throws Exception {
        InJvmCluster cluster = new InJvmCluster(() -> clusterDir);
        try {
            WorkerRole worker = cluster.worker("a", Map.of());
            TestServer gateway = remoteGateway(cluster, clusterDir, worker);
            String remoteKey = gateway.tenantWithKey("acme", "{}");
            assertEquals(201, gateway.deploy(remoteKey, "env", TestModules.load("env")).status());
            // \u0001 is escaped to six bytes on the wire: as many as fit the PUT's 64 KiB body.
            String escaped = "\\u0001".repeat(10_900);
            for (int i = 0; i < 64; i++) {
                Reply put = gateway.call(remoteKey, "PUT", "/v1/functions/env/secrets/S" + i,
                        ("{\"value\": \"" + escaped + "\"}").getBytes(StandardCharsets.UTF_8), "application/json");
                assertEquals(201, put.status(), put.toString());
            }
            Reply reply = gateway.call(remoteKey, "POST", "/v1/functions/env/invoke",
                    new byte[1 << 20], "application/octet-stream");
            assertEquals(200, reply.status(), reply.toString());
            assertEquals(1, worker.started(), "it ran on the worker");
        } finally {
            cluster.afterEach(null);
        }
    }

    /** A gateway role with the secrets key that sends every invocation to {@code worker}; closed with the cluster. */
    private static TestServer remoteGateway(InJvmCluster cluster, Path clusterDir, WorkerRole worker) {
        TestServer gateway = TestServer.start(clusterDir.resolve("gateway"),
                Map.of("worker-secret", InJvmCluster.SECRET, "worker-addresses", "127.0.0.1:" + worker.port()),
                config -> GatewayRole.builder(config, Map.of()).secretsKey(Optional.of(KEY)));
        cluster.closeAtEnd(gateway);
        return gateway;
    }

    private static Set<String> fields(JsonNode node) {
        Set<String> names = new java.util.TreeSet<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    /** Every record at every level reaching the JUL root (where System.Logger goes) while open. */
    static final class AllLogs implements AutoCloseable {
        private final java.util.logging.Logger root = java.util.logging.Logger.getLogger("");
        private final java.util.logging.Level previous = root.getLevel();
        private final List<String> lines = new java.util.concurrent.CopyOnWriteArrayList<>();
        private final java.util.logging.Handler handler = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord record) {
                String message = record.getMessage();
                if (record.getParameters() != null) {
                    message += " " + Arrays.toString(record.getParameters());
                }
                lines.add(record.getLoggerName() + ": " + message + (record.getThrown() == null ? ""
                        : " " + stackTrace(record.getThrown())));
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };

        private AllLogs() {
            handler.setLevel(java.util.logging.Level.ALL);
            root.setLevel(java.util.logging.Level.ALL);
            root.addHandler(handler);
        }

        static AllLogs watch() {
            return new AllLogs();
        }

        List<String> lines() {
            return List.copyOf(lines);
        }

        private static String stackTrace(Throwable thrown) {
            java.io.StringWriter out = new java.io.StringWriter();
            thrown.printStackTrace(new java.io.PrintWriter(out));
            return out.toString();
        }

        @Override
        public void close() {
            root.removeHandler(handler);
            root.setLevel(previous);
        }
    }
}
