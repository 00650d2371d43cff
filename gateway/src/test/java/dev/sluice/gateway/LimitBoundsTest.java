package dev.sluice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.config.ConfigException;
import dev.sluice.config.SluiceConfig;
import dev.sluice.gateway.TestServer.Reply;
import dev.sluice.scheduler.testing.TestModules;
import dev.sluice.tenancy.plan.Limit;
import dev.sluice.tenancy.plan.TenantLimits;
import dev.sluice.tenancy.testing.RedisTestServer;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every limit has a documented maximum that the API and the configuration enforce, and every value up to it works
 * end to end: a tenant at the maxima deploys and runs functions (no arithmetic overflows on the way).
 */
class LimitBoundsTest extends TenantApiTestBase {
    private static String allAt(java.util.function.ToLongFunction<Limit> value) {
        return Arrays.stream(Limit.values()).map(l -> "\"" + l.key() + "\": " + value.applyAsLong(l))
                .collect(Collectors.joining(", ", "{", "}"));
    }

    @Test
    void aTenantWithEveryLimitAtItsMaximumDeploysAndInvokes() {
        String huge = server.tenantWithKey("huge", allAt(Limit::max));
        assertDeploysAndRuns(huge);
    }

    @Test
    void aTenantOnAPlanWithEveryLimitAtItsMaximumDeploysAndInvokes() {
        Reply plan = server.admin("PUT", "/admin/v1/plans/unlimited", allAt(Limit::max));
        assertEquals(201, plan.status(), plan.toString());
        String huge = server.tenantWithKey("huge", "{\"plan\": \"unlimited\"}");
        assertDeploysAndRuns(huge);
    }

    @Test
    void theOptionalQuotasAtTheirMaximumCountAndReserveWithoutOverflow() {
        // max-concurrency, fuel-per-day and the invocation counts are all checked (not 0 = unlimited).
        // A call reserves its whole fuel from the day: at max-fuel-per-call one call would take the whole day.
        String huge = server.tenantWithKey("huge", allAt(Limit::max));
        Reply deployed = server.call(huge, "PUT", "/v1/functions/hello?fuel=1000000", TestModules.load("hello"),
                "application/wasm");
        assertEquals(201, deployed.status(), deployed.toString());
        for (int i = 0; i < 3; i++) {
            Reply reply = server.call(huge, "POST", "/v1/functions/hello/invoke", new byte[0], "text/plain");
            assertEquals(200, reply.status(), reply.toString());
            assertTrue(reply.header("RateLimit").orElse("").contains("fuel-day"), reply.response().headers().toString());
        }
    }

    @Test
    void onSharedRedisStoresATenantAtTheMaximaCountsAndReservesExactly(@TempDir Path gatewayDir) {
        // Redis' Lua numbers are doubles: the fuel maximum keeps budget arithmetic exact there too.
        try (RedisTestServer redis = RedisTestServer.start();
             TestServer shared = TestServer.start(gatewayDir, Map.of("quota-store", "redis", "tenancy-store",
                     "redis", "redis-uri", redis.uri(), "redis-timeout-ms", "2000"))) {
            String huge = shared.tenantWithKey("huge", allAt(Limit::max));
            Reply deployed = shared.call(huge, "PUT", "/v1/functions/hello?fuel=1000000", TestModules.load("hello"),
                    "application/wasm");
            assertEquals(201, deployed.status(), deployed.toString());
            long fuelUsed = 0;
            for (int i = 0; i < 3; i++) {
                Reply reply = shared.call(huge, "POST", "/v1/functions/hello/invoke", new byte[0], "text/plain");
                assertEquals(200, reply.status(), reply.toString());
                fuelUsed += Long.parseLong(reply.header("Sluice-Fuel-Used").orElseThrow());
            }
            Reply last = shared.call(huge, "POST", "/v1/functions/hello/invoke", new byte[0], "text/plain");
            String rateLimit = last.header("RateLimit").orElseThrow();
            assertTrue(rateLimit.contains("\"fuel-day\";r=" + (Limit.MAX_FUEL - fuelUsed - 1_000_000)), rateLimit);
        }
    }

    private void assertDeploysAndRuns(String apiKey) {
        Reply deployed = server.deploy(apiKey, "hello", TestModules.load("hello"));
        assertEquals(201, deployed.status(), deployed.toString());
        Reply invoked = server.call(apiKey, "POST", "/v1/functions/hello/invoke?name=x",
                "in".getBytes(StandardCharsets.UTF_8), "text/plain");
        assertEquals(200, invoked.status(), invoked.toString());
        assertTrue(invoked.body().startsWith("hello"), invoked.body());
    }

    @ParameterizedTest
    @EnumSource(Limit.class)
    void aLimitAboveItsMaximumIsRefusedNamingTheFieldAndTheRange(Limit limit) {
        for (long value : new long[] {limit.max() + 1, Long.MAX_VALUE}) {
            String body = "{\"" + limit.key() + "\": " + value + "}";
            for (String path : new String[] {"/admin/v1/tenants/absurd", "/admin/v1/plans/absurd"}) {
                Reply reply = server.admin("PUT", path, body);
                assertEquals(400, reply.status(), path + " " + body + ": " + reply);
                assertEquals("invalid-request", reply.problemType());
                String detail = reply.json().get("detail").asText();
                assertTrue(detail.contains(limit.key()) && detail.contains(Long.toString(limit.max())), detail);
                assertEquals(limit.key(), reply.json().get("field").asText(), reply.toString());
                assertEquals(limit.max(), reply.json().get("max").asLong(), reply.toString());
                assertEquals(404, server.admin("GET", path, null).status(), "nothing was stored");
            }
        }
        Reply existing = server.admin("PUT", "/admin/v1/tenants/acme", "{\"" + limit.key() + "\": " + Long.MAX_VALUE
                + "}");
        assertEquals(400, existing.status(), existing.toString());
    }

    @Test
    void aValueStoredAboveTheMaximumBeforeMaximaExistedIsReadAsTheMaximum() throws Exception {
        server.admin("PUT", "/admin/v1/tenants/old", "{\"max-fuel-per-call\": 12345}");
        server.close();
        java.nio.file.Path tenants = dataDir.resolve("tenants.json");
        String stored = java.nio.file.Files.readString(tenants);
        String absurd = stored.replaceFirst("12345", Long.toString(Long.MAX_VALUE));
        assertTrue(!absurd.equals(stored), stored);
        java.nio.file.Files.writeString(tenants, absurd);
        server.restart();
        Reply tenant = server.admin("GET", "/admin/v1/tenants/old", null);
        assertEquals(200, tenant.status(), tenant.toString());
        assertEquals(Limit.MAX_FUEL, tenant.json().get("limits").get("max-fuel-per-call").asLong());
    }

    @ParameterizedTest
    @EnumSource(Limit.class)
    void configurationDefaultsHaveTheSameMaximaAsTheApi(Limit limit) {
        String key = "default-" + limit.key();
        SluiceConfig atMax = SluiceConfig.defaults().with(Map.of(key, Long.toString(limit.max())));
        TenantLimits defaults = LimitsJson.defaults(atMax);
        assertEquals(limit.max(), defaults.get(limit));
        ConfigException above = assertThrows(ConfigException.class,
                () -> SluiceConfig.defaults().with(Map.of(key, Long.toString(limit.max() + 1))));
        assertTrue(above.getMessage().contains(key), above.getMessage());
    }
}
