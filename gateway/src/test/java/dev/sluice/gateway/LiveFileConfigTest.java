package dev.sluice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.gateway.TestServer.Reply;
import dev.sluice.scheduler.testing.TestModules;
import dev.sluice.tenancy.testing.RedisTestServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Without Vault, the configuration file is watched: a saved change to a live key ({@code default-*},
 * {@code default-timeout-ms}) applies to the next request, and a change to a restart-only key is reported, not
 * applied. The test refreshes through the admin endpoint rather than waiting for the poller.
 */
class LiveFileConfigTest {
    @TempDir
    Path dir;
    TestServer server;
    Path file;
    Map<String, String> values;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private void save(Map<String, String> changes) throws IOException {
        values.putAll(changes);
        Files.writeString(file, values.entrySet().stream().map(e -> e.getKey() + " = " + e.getValue())
                .collect(Collectors.joining("\n", "# written by LiveFileConfigTest\n", "\n")));
    }

    private void startFromFile(Map<String, String> settings) throws IOException {
        file = dir.resolve("sluice.conf");
        Path dataDir = dir.resolve("data");
        // What TestServer sets, so the file and the process agree on every key from the start.
        values = new TreeMap<>(Map.of("port", "0", "data-dir", dataDir.toString(), "workers", "2",
                "default-requests-per-second", "1000", "default-burst", "1000", "config-poll-ms", "3600000"));
        values.putAll(settings);
        save(Map.of());
        server = TestServer.start(dataDir, values,
                config -> Sluice.builder().config(config).configFile(Optional.of(file)));
    }

    private JsonNode refresh() {
        Reply reply = server.admin("POST", "/admin/v1/config/refresh", null);
        assertEquals(200, reply.status(), reply.toString());
        return reply.json();
    }

    @Test
    void aSavedDefaultLimitAppliesToTheNextRequestOfATenantOnNoPlan() throws IOException {
        startFromFile(Map.of());
        String key = server.tenantWithKey("acme", "{}");
        assertEquals("unchanged", refresh().get("result").asText());

        save(Map.of("default-burst", "2", "default-requests-per-second", "1"));
        JsonNode result = refresh();
        assertEquals("applied", result.get("result").asText(), result.toString());
        assertEquals("[\"default-requests-per-second\",\"default-burst\"]", result.get("changed").toString());

        assertEquals(200, server.call(key, "GET", "/v1/functions", null, null).status());
        assertEquals(200, server.call(key, "GET", "/v1/functions", null, null).status());
        Reply limited = server.call(key, "GET", "/v1/functions", null, null);
        assertEquals(429, limited.status(), limited.toString());
        assertTrue(limited.header("RateLimit-Policy").orElseThrow().contains("q=2"), limited.toString());
        assertEquals("file", server.admin("GET", "/admin/v1/config", null).json().get("source").asText());
    }

    /**
     * Review r2 #4: {@code default-max-module-bytes} is live, so a raise must reach the deploy route. Helidon's body
     * backstop is fixed when the server is built; sized from the start value (4 x 64 KiB + 64 KiB) it cut a 600 KB
     * module with 413 {@code payload-too-large} before the route saw it, although the tenant's limit allowed it.
     */
    @Test
    void aLiveRaiseOfDefaultMaxModuleBytesLetsAModuleAboveTheStartBackstopDeploy() throws IOException {
        startFromFile(Map.of("default-max-module-bytes", "65536", "max-request-bytes", "65536"));
        String key = server.tenantWithKey("acme", "{}");
        byte[] module = withCustomSection(TestModules.load("hello"), 600_000);
        assertTrue(module.length > 65536L * 4 + 65536, "above the old backstop: " + module.length);

        Reply before = server.deploy(key, "big", module);
        assertEquals(422, before.status(), "the route's own cap, the tenant's limit, answers: " + before);
        assertEquals("too-large", before.json().get("reason").asText(), before.toString());
        assertEquals(65536, before.json().get("max-bytes").asLong(), before.toString());

        save(Map.of("default-max-module-bytes", "4000000"));
        assertEquals("applied", refresh().get("result").asText());
        Reply after = server.deploy(key, "big", module);
        assertEquals(201, after.status(), "the raised limit is in force for the body too: " + after);
        assertEquals(200, server.call(key, "POST", "/v1/functions/big/invoke", new byte[0], "text/plain").status());
    }

    /** {@code module} with a custom section appended (ignored by the runtime) so that it is {@code size} bytes or more. */
    private static byte[] withCustomSection(byte[] module, int size) {
        byte[] name = "pad".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        int payload = size - module.length;
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        out.writeBytes(module);
        out.write(0); // custom section
        byte[] content = new byte[1 + name.length + payload];
        content[0] = (byte) name.length;
        System.arraycopy(name, 0, content, 1, name.length);
        long n = content.length;
        do { // unsigned LEB128 length
            int b = (int) (n & 0x7f);
            n >>>= 7;
            out.write(n == 0 ? b : b | 0x80);
        } while (n != 0);
        out.writeBytes(content);
        return out.toByteArray();
    }

    @Test
    void aSavedDefaultTimeoutAppliesToTheNextDeployAndARestartOnlyKeyIsOnlyReported() throws IOException {
        startFromFile(Map.of());
        String key = server.tenantWithKey("acme", "{}");
        byte[] module = TestModules.load("hello");
        assertEquals(5_000, server.deploy(key, "before", module).json().get("timeout-ms").asLong());

        save(Map.of("default-timeout-ms", "1234", "tenant-queue", "7"));
        JsonNode result = refresh();
        assertEquals("applied", result.get("result").asText(), result.toString());
        assertEquals("[\"default-timeout-ms\"]", result.get("changed").toString());
        assertEquals("[\"tenant-queue\"]", result.get("need-restart").toString());

        assertEquals(1_234, server.deploy(key, "after", module).json().get("timeout-ms").asLong());
        JsonNode config = server.admin("GET", "/admin/v1/config", null).json();
        assertEquals("1234", config.get("live-keys").get("default-timeout-ms").asText());
    }

    /** The default fail policy is read when Redis fails, not fixed at start: a saved change applies to the next call. */
    @Test
    void aSavedQuotaFailPolicyAppliesToTheNextCallWhileRedisIsAway() throws Exception {
        try (RedisTestServer redis = RedisTestServer.start()) {
            startFromFile(Map.of("quota-store", "redis", "redis-uri", redis.uri(), "redis-timeout-ms", "100"));
            String key = server.tenantWithKey("acme", "{}");
            assertEquals(201, server.deploy(key, "hello", TestModules.load("hello")).status());
            Reply served = invoke(key);
            assertEquals(200, served.status(), served.toString());

            redis.stop();
            // fail-open: once the breaker stops asking Redis, calls are served under local limits.
            int attempts = 0;
            while ((served = invoke(key)).status() != 200) {
                assertEquals("quota-unavailable", served.problemType(), served.toString());
                assertTrue(++attempts < 100, "fail-open never served: " + served);
            }

            save(Map.of("quota-fail-policy", "fail-closed"));
            JsonNode result = refresh();
            assertEquals("[\"quota-fail-policy\"]", result.get("changed").toString(), result.toString());
            Reply refused = invoke(key);
            assertEquals(503, refused.status(), "fail-closed now: " + refused);
            assertEquals("quota-unavailable", refused.problemType());
        }
    }

    private Reply invoke(String key) {
        return server.call(key, "POST", "/v1/functions/hello/invoke", new byte[0], "text/plain");
    }
}
