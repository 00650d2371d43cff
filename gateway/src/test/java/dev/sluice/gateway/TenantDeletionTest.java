package dev.sluice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.gateway.TestServer.Reply;
import dev.sluice.scheduler.testing.TestModules;
import dev.sluice.tenancy.testing.RedisTestServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Deleting a tenant takes everything it had with it, and a tenant created again under the same name starts with
 * nothing: no functions, fresh quotas and usage, none of the old keys. Each creation of a tenant has its own uid,
 * which its keys, functions and quota state are keyed by, so this holds even for state a deletion could not reach:
 * the functions deployed on another gateway, say.
 */
class TenantDeletionTest {
    /** Two invocations a day, so a used-up day shows; the rate is no limit. */
    private static final String LIMITS = "{\"invocations-per-day\": 2, \"requests-per-second\": 1000, \"burst\": 1000}";

    @TempDir
    Path dir;

    private static Reply invoke(TestServer gateway, String key) {
        return gateway.call(key, "POST", "/v1/functions/hello/invoke", new byte[0], "text/plain");
    }

    private static String uid(TestServer gateway, String tenant) {
        return gateway.admin("GET", "/admin/v1/tenants/" + tenant, null).json().get("uid").asText();
    }

    @Test
    void aTenantDeletedAndCreatedAgainHasNoFunctionsFreshQuotasAndNoneOfTheOldKeys() {
        try (TestServer server = TestServer.start(dir)) {
            String old = server.tenantWithKey("acme", LIMITS);
            String firstUid = uid(server, "acme");
            assertEquals(201, server.deploy(old, "hello", TestModules.load("hello")).status());
            assertEquals(200, invoke(server, old).status());
            assertEquals(200, invoke(server, old).status());
            assertEquals("invocation-quota-exceeded", invoke(server, old).problemType(), "the day is used up");

            assertEquals(204, server.admin("DELETE", "/admin/v1/tenants/acme", null).status());
            String again = server.tenantWithKey("acme", LIMITS);

            assertNotEquals(firstUid, uid(server, "acme"), "another creation, another uid");
            assertTrue(uid(server, "acme").startsWith("acme."), uid(server, "acme"));
            assertEquals(401, server.call(old, "GET", "/v1/functions", null, null).status(), "old key");
            assertEquals(0, server.call(again, "GET", "/v1/functions", null, null).json().get("functions").size());
            assertEquals(0, server.admin("GET", "/admin/v1/tenants/acme/usage", null).json().get("total")
                    .get("invocations").asLong(), "no usage carried over");
            assertEquals(1, server.admin("GET", "/admin/v1/tenants/acme/keys", null).json().get("keys").size());
            assertEquals(201, server.deploy(again, "hello", TestModules.load("hello")).status());
            assertEquals(200, invoke(server, again).status(), "a fresh day quota");
            assertEquals(200, invoke(server, again).status());

            Reply usage = server.call(again, "GET", "/v1/usage", null, null);
            assertEquals(2, usage.json().get("total").get("invocations").asLong());
            assertEquals("acme", usage.json().get("tenant").asText(), "the tenant sees its name");
            String hex = uid(server, "acme").substring("acme.".length());
            assertFalse(usage.body().contains(hex), "and never its uid: " + usage.body());
            assertFalse(server.call(again, "GET", "/v1/functions/hello", null, null).body().contains(hex));

            server.restart();
            assertEquals(401, server.call(old, "GET", "/v1/functions", null, null).status(), "after a restart too");
            assertEquals("invocation-quota-exceeded", invoke(server, again).problemType(),
                    "the new tenant's own count survives the restart");
        }
    }

    /**
     * Functions are still kept per gateway: deleting the tenant through B cannot remove what A holds. A tenant
     * created again through B must not find them on A all the same, nor the old key, nor the old day's count.
     */
    @Test
    void aTenantDeletedThroughOneGatewayIsGoneOnTheOtherAndItsSuccessorInheritsNothingThere() throws Exception {
        try (RedisTestServer redis = RedisTestServer.start()) {
            Map<String, String> shared = Map.of("quota-store", "redis", "tenancy-store", "redis",
                    "redis-uri", redis.uri(), "quota-replicas", "2");
            try (TestServer a = TestServer.start(dir.resolve("a"), shared);
                 TestServer b = TestServer.start(dir.resolve("b"), shared)) {
                String old = a.tenantWithKey("acme", LIMITS);
                assertEquals(201, a.deploy(old, "hello", TestModules.load("hello")).status());
                assertEquals(200, invoke(a, old).status());
                assertEquals(200, invoke(a, old).status());
                assertEquals("invocation-quota-exceeded", invoke(a, old).problemType());

                assertEquals(204, b.admin("DELETE", "/admin/v1/tenants/acme", null).status());
                String again = b.tenantWithKey("acme", LIMITS);

                long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
                Reply stale;
                // A's caches trust what they read for 500 ms of its own clock.
                while ((stale = a.call(old, "GET", "/v1/functions", null, null)).status() != 401) {
                    assertTrue(System.nanoTime() < deadline, "old key still accepted on A: " + stale);
                    a.advance(Duration.ofMillis(200));
                    Thread.sleep(20);
                }
                a.advance(Duration.ofSeconds(1));
                assertEquals(0, a.call(again, "GET", "/v1/functions", null, null).json().get("functions").size(),
                        "A still holds the old tenant's function, but not for this tenant");
                assertEquals("not-found", invoke(a, again).problemType());
                assertEquals(201, a.deploy(again, "hello", TestModules.load("hello")).status());
                assertEquals(200, invoke(a, again).status(), "a fresh day quota in Redis");
                assertEquals(200, b.deploy(again, "hello", TestModules.load("hello")).status(),
                        "functions are shared: B replaces what the new tenant deployed through A");
                assertEquals(200, invoke(b, again).status());
                assertEquals("invocation-quota-exceeded", invoke(a, again).problemType(),
                        "one count for the new tenant across both gateways");
            }
        }
    }
}
