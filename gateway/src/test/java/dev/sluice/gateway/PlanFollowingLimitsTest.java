package dev.sluice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.gateway.TestServer.Reply;
import dev.sluice.scheduler.testing.TestModules;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A function keeps the memory, timeout and fuel it was deployed with only as long as the tenant's plan allows them:
 * each invocation runs under the smaller of the function's setting and the tenant's current maximum, so moving a
 * tenant to a smaller plan (or lowering its plan) takes effect on its next call without a redeploy.
 */
class PlanFollowingLimitsTest extends TenantApiTestBase {
    private String tenant;

    @BeforeEach
    void tenantOnABigPlan() {
        assertEquals(201, server.admin("PUT", "/admin/v1/plans/big", "{\"max-memory-pages\": 256, "
                + "\"max-timeout-ms\": 60000, \"max-fuel-per-call\": 1000000000}").status());
        // One smaller plan per limit, so each test shows that one limit following the plan.
        assertEquals(201, server.admin("PUT", "/admin/v1/plans/less-fuel",
                "{\"max-fuel-per-call\": 50, \"fuel-per-day\": 1000}").status());
        assertEquals(201, server.admin("PUT", "/admin/v1/plans/less-memory", "{\"max-memory-pages\": 4}").status());
        assertEquals(201, server.admin("PUT", "/admin/v1/plans/less-time", "{\"max-timeout-ms\": 50}").status());
        tenant = server.tenantWithKey("movable", "{\"plan\": \"big\"}");
    }

    private void deploy(String name, String module, String query) {
        Reply reply = server.call(tenant, "PUT", "/v1/functions/" + name + "?" + query, TestModules.load(module),
                "application/wasm");
        assertEquals(201, reply.status(), reply.toString());
    }

    private void moveTo(String plan) {
        Reply moved = server.admin("PUT", "/admin/v1/tenants/movable", "{\"plan\": \"" + plan + "\"}");
        assertEquals(200, moved.status(), moved.toString());
    }

    private Reply invoke(String name) {
        return server.call(tenant, "POST", "/v1/functions/" + name + "/invoke", new byte[0], "text/plain");
    }

    @Test
    void fuelFollowsThePlan() {
        deploy("count", "fuel-loop", "fuel=1000000000");
        assertEquals(200, invoke("count").status(), "runs under the big plan");
        moveTo("less-fuel");
        Reply reply = invoke("count");
        // Reserved and run at the small plan's 50 (fuel-loop needs 102): not 429 for reserving 10^9 of a day of 1000.
        assertEquals(502, reply.status(), reply.toString());
        assertEquals("fuel-exhausted", reply.problemType());
        assertTrue(reply.json().get("detail").asText().contains("budget: 50"), reply.toString());
        assertTrue(reply.json().get("fuel-used").asLong() <= 1000, reply.toString());

        Reply described = server.call(tenant, "GET", "/v1/functions/count", null, null);
        assertEquals(1_000_000_000L, described.json().get("fuel").asLong(), "as deployed");
        assertEquals(50, described.json().get("runs-with").get("fuel").asLong(), described.toString());
        Reply listed = server.call(tenant, "GET", "/v1/functions", null, null);
        assertEquals(50, listed.json().get("functions").get(0).get("runs-with").get("fuel").asLong(), listed.toString());
    }

    @Test
    void memoryFollowsThePlan() {
        deploy("bomb", "memory-bomb", "memory-pages=64");
        Reply big = invoke("bomb");
        assertEquals("memory-limit", big.problemType(), big.toString());
        assertTrue(big.json().get("detail").asText().contains("64 pages"), big.toString());
        moveTo("less-memory");
        Reply small = invoke("bomb");
        assertEquals(502, small.status(), small.toString());
        assertEquals("memory-limit", small.problemType());
        assertTrue(small.json().get("detail").asText().contains("4 pages"), small.toString());
    }

    @Test
    void timeoutFollowsThePlan() {
        deploy("sleep", "sleep", "timeout-ms=60000");
        assertEquals(200, invoke("sleep").status(), "200 ms of sleep fit the big plan");
        moveTo("less-time");
        Reply reply = invoke("sleep");
        assertEquals(504, reply.status(), reply.toString());
        assertEquals("function-timeout", reply.problemType());
        assertTrue(reply.json().get("detail").asText().contains("50 ms"), reply.toString());
    }

    @Test
    void aFunctionDeployedWithinTheSmallPlanKeepsItsOwnSmallerSettings() {
        deploy("count", "fuel-loop", "fuel=40");
        moveTo("less-fuel");
        Reply reply = invoke("count");
        assertEquals("fuel-exhausted", reply.problemType(), reply.toString());
        assertTrue(reply.json().get("detail").asText().contains("budget: 40"), reply.toString());
    }
}
