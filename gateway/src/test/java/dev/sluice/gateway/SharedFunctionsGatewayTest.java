package dev.sluice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.gateway.TestServer.Reply;
import dev.sluice.scheduler.redis.RedisFixture;
import dev.sluice.scheduler.testing.TestModules;
import dev.sluice.tenancy.testing.RedisTestServer;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two all-in-one gateways ({@code serve}) with {@code tenancy-store=redis} share their functions: a deploy through
 * one is invocable through the other, a tenant deleted through one loses its functions on both, and a module blob
 * that does not match its digest is refused with a problem, never run.
 */
class SharedFunctionsGatewayTest {
    @TempDir
    Path dir;
    RedisTestServer redis;
    TestServer a;
    TestServer b;

    @BeforeEach
    void start() {
        redis = RedisTestServer.start();
        Map<String, String> shared = Map.of("tenancy-store", "redis", "redis-uri", redis.uri(),
                "redis-timeout-ms", "2000");
        a = TestServer.start(dir.resolve("a"), shared);
        b = TestServer.start(dir.resolve("b"), shared);
    }

    @AfterEach
    void stop() {
        b.close();
        a.close();
        redis.close();
    }

    private static Reply invoke(TestServer gateway, String key) {
        return gateway.call(key, "POST", "/v1/functions/hello/invoke", new byte[0], "text/plain");
    }

    @Test
    void aDeployThroughOneGatewayRunsOnTheOtherAndATenantDeletedThroughTheOtherIsGoneOnBoth() throws Exception {
        String key = a.tenantWithKey("acme", "{}");
        assertEquals(201, a.deploy(key, "hello", TestModules.load("hello")).status());
        assertEquals(200, invoke(a, key).status());

        Reply there = invoke(b, key);
        assertEquals(200, there.status(), there.toString());
        assertEquals(200, b.deploy(key, "hello", TestModules.load("hello")).status(), "one function, replaced");

        assertEquals(204, b.admin("DELETE", "/admin/v1/tenants/acme", null).status());
        String again = a.tenantWithKey("acme", "{}");
        long deleted = System.nanoTime();
        Reply reply;
        while ((reply = invoke(a, again)).status() != 404) {
            assertTrue(System.nanoTime() - deleted < 1_000_000_000L, "still invocable after one second: " + reply);
            Thread.sleep(20);
        }
        assertEquals("not-found", reply.problemType());
    }

    @Test
    void aModuleBlobThatDoesNotMatchItsDigestIsRefusedWithStoreUnavailableNotRun() throws Exception {
        String key = a.tenantWithKey("acme", "{}");
        assertEquals(201, a.deploy(key, "hello", TestModules.load("hello")).status());
        String digest = "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(TestModules.load("hello")));
        try (RedisFixture raw = new RedisFixture(redis, "sluice:")) {
            raw.overwriteModule(digest, TestModules.load("plain"));
        }

        Reply refused = invoke(b, key); // b never held the module: it fetches, and the digest check refuses it
        assertEquals(503, refused.status(), refused.toString());
        assertEquals("store-unavailable", refused.problemType());
        assertEquals(200, invoke(a, key).status(), "a still runs the module it validated at deploy");
    }
}
