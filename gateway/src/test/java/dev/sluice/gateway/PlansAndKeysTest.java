package dev.sluice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.gateway.TestServer.Reply;
import dev.sluice.scheduler.testing.TestModules;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** Plans, overrides, key scopes and rotation, and the per-kind invocation quotas, through the real HTTP API. */
class PlansAndKeysTest extends TenantApiTestBase {

    private Reply invoke(String apiKey, String function) {
        return server.call(apiKey, "POST", "/v1/functions/" + function + "/invoke", new byte[0], "text/plain");
    }

    private String keyFor(String tenant, String json) {
        Reply reply = server.admin("POST", "/admin/v1/tenants/" + tenant + "/keys", json);
        assertEquals(201, reply.status(), reply.toString());
        return reply.json().get("key").asText();
    }

    @Test
    void tenantOnAPlanGetsThePlansLimitsAndAPlanChangeAppliesOnTheNextRequest() {
        assertEquals(201, server.admin("PUT", "/admin/v1/plans/starter",
                "{\"requests-per-second\": 1, \"burst\": 2}").status());
        Reply tenant = server.admin("PUT", "/admin/v1/tenants/initech", "{\"plan\": \"starter\"}");
        assertEquals(201, tenant.status(), tenant.toString());
        assertEquals(2, tenant.json().get("limits").get("burst").asLong());
        String initech = keyFor("initech", "{\"name\": \"ci\"}");

        assertEquals(200, server.call(initech, "GET", "/v1/functions", null, null).status());
        assertEquals(200, server.call(initech, "GET", "/v1/functions", null, null).status());
        assertEquals(429, server.call(initech, "GET", "/v1/functions", null, null).status());

        assertEquals(200, server.admin("PUT", "/admin/v1/plans/starter", "{\"burst\": 5}").status());
        Reply after = server.call(initech, "GET", "/v1/functions", null, null);
        assertEquals(200, after.status(), "the raised burst applies at once: " + after);
        assertTrue(after.header("RateLimit-Policy").orElseThrow().contains("q=5"));
    }

    @Test
    void overridesWinOverThePlanAndNullRemovesThem() {
        server.admin("PUT", "/admin/v1/plans/pro", "{\"burst\": 50, \"max-functions\": 10}");
        JsonNode tenant = server.admin("PUT", "/admin/v1/tenants/initech", "{\"plan\": \"pro\", \"burst\": 7}").json();
        assertEquals(7, tenant.get("limits").get("burst").asLong());
        assertEquals(10, tenant.get("limits").get("max-functions").asLong());
        assertEquals(7, tenant.get("overrides").get("burst").asLong());
        JsonNode cleared = server.admin("PUT", "/admin/v1/tenants/initech", "{\"burst\": null}").json();
        assertEquals(50, cleared.get("limits").get("burst").asLong());
        assertEquals("pro", cleared.get("plan").asText(), "members left out keep their value");
    }

    @Test
    void aPlanInUseCannotBeDeletedAndAnUnknownPlanIsRefused() {
        server.admin("PUT", "/admin/v1/plans/pro", "{}");
        server.admin("PUT", "/admin/v1/tenants/initech", "{\"plan\": \"pro\"}");
        Reply inUse = server.admin("DELETE", "/admin/v1/plans/pro", null);
        assertEquals(409, inUse.status());
        assertEquals("plan-in-use", inUse.problemType());
        assertEquals("initech", inUse.json().get("tenants").get(0).asText());
        assertEquals("invalid-request",
                server.admin("PUT", "/admin/v1/tenants/initech", "{\"plan\": \"nope\"}").problemType());
        server.admin("PUT", "/admin/v1/tenants/initech", "{\"plan\": null}");
        assertEquals(204, server.admin("DELETE", "/admin/v1/plans/pro", null).status());
        assertEquals(404, server.admin("GET", "/admin/v1/plans/pro", null).status());
    }

    @Test
    void aReadOnlyKeyCanListButNotDeployOrInvoke() {
        server.deploy(key, "hello", TestModules.load("hello"));
        String reader = keyFor("acme", "{\"name\": \"dashboard\", \"scopes\": [\"read\"]}");
        assertEquals(200, server.call(reader, "GET", "/v1/functions", null, null).status());
        Reply deploy = server.deploy(reader, "other", TestModules.load("hello"));
        assertEquals(403, deploy.status());
        assertEquals("forbidden", deploy.problemType());
        assertEquals("deploy", deploy.json().get("scope").asText());
        assertEquals(403, invoke(reader, "hello").status());
    }

    @Test
    void aKeyRestrictedToOneFunctionSeesAndInvokesOnlyThatOne() {
        server.deploy(key, "hello", TestModules.load("hello"));
        server.deploy(key, "plain", TestModules.load("plain"));
        String narrow = keyFor("acme", "{\"name\": \"widget\", \"functions\": [\"plain\"]}");
        assertEquals(200, invoke(narrow, "plain").status());
        assertEquals(403, invoke(narrow, "hello").status());
        JsonNode listed = server.call(narrow, "GET", "/v1/functions", null, null).json().get("functions");
        assertEquals(1, listed.size());
        assertEquals("plain", listed.get(0).get("name").asText());
    }

    @Test
    void rotationKeepsTheOldKeyWorkingForTheOverlapThenOnlyTheNewOne() {
        Reply issued = server.admin("POST", "/admin/v1/tenants/acme/keys", "{\"name\": \"deployer\"}");
        String old = issued.json().get("key").asText();
        String id = issued.json().get("id").asText();
        Reply rotated = server.admin("POST", "/admin/v1/tenants/acme/keys/" + id + "/rotate",
                "{\"overlap-seconds\": 600}");
        assertEquals(201, rotated.status(), rotated.toString());
        String fresh = rotated.json().get("key").asText();
        assertEquals("deployer", rotated.json().get("name").asText());
        assertTrue(fresh.startsWith("sluice_sk_"), "a recognisable prefix for secret scanners: " + fresh);

        assertEquals(200, server.call(old, "GET", "/v1/functions", null, null).status());
        server.advance(Duration.ofSeconds(601));
        assertEquals(401, server.call(old, "GET", "/v1/functions", null, null).status());
        assertEquals(200, server.call(fresh, "GET", "/v1/functions", null, null).status());
    }

    @Test
    void keysReportWhenTheyWereLastUsed() {
        server.call(key, "GET", "/v1/functions", null, null);
        JsonNode keys = server.admin("GET", "/admin/v1/tenants/acme/keys", null).json().get("keys");
        assertFalse(keys.get(0).get("last-used-at").isNull(), keys.toString());
    }

    @Test
    void maxFunctionsRefusesANewFunctionButAllowsReplacingOne() {
        server.admin("PUT", "/admin/v1/tenants/acme", "{\"max-functions\": 1}");
        assertEquals(201, server.deploy(key, "one", TestModules.load("plain")).status());
        assertEquals(200, server.deploy(key, "one", TestModules.load("hello")).status());
        Reply second = server.deploy(key, "two", TestModules.load("plain"));
        assertEquals(409, second.status());
        assertEquals("function-limit", second.problemType());
    }

    @Test
    void invocationsPerMinuteAreCountedSeparatelyFromTheRequestRate() {
        server.admin("PUT", "/admin/v1/tenants/acme", "{\"invocations-per-minute\": 2}");
        server.deploy(key, "plain", TestModules.load("plain"));
        Reply first = invoke(key, "plain");
        assertEquals(200, first.status());
        assertTrue(first.header("RateLimit-Policy").orElseThrow().contains("\"invocations-minute\";q=2;w=60"),
                first.header("RateLimit-Policy").orElseThrow());
        assertEquals(200, invoke(key, "plain").status());
        Reply denied = invoke(key, "plain");
        assertEquals(429, denied.status());
        assertEquals("invocation-quota-exceeded", denied.problemType());
        assertEquals("60", denied.header("Retry-After").orElseThrow());
        assertEquals(200, server.call(key, "GET", "/v1/functions", null, null).status(), "listing is not invoking");
        server.advance(Duration.ofMinutes(1));
        assertEquals(200, invoke(key, "plain").status());
    }

    @Test
    void concurrencyQuotaRefusesASecondInvocationWhileOneIsInFlight() throws Exception {
        server.admin("PUT", "/admin/v1/tenants/acme", "{\"max-concurrency\": 1}");
        server.deploy(key, "sleep", TestModules.load("sleep"));
        server.deploy(key, "plain", TestModules.load("plain"));
        CompletableFuture<Reply> first = CompletableFuture.supplyAsync(() -> invoke(key, "sleep"));
        for (int i = 0; i < 2_000 && server.sluice.inFlight() == 0; i++) {
            Thread.sleep(1);
        }
        Reply second = invoke(key, "plain");
        assertEquals(429, second.status(), second.toString());
        assertEquals("concurrency-limited", second.problemType());
        assertEquals(200, first.get().status());
        assertEquals(200, invoke(key, "plain").status(), "the slot is released when the invocation ends");
    }

    @Test
    void dailyFuelBudgetReservesTheCallsLimitAndRefundsWhatWasNotUsed() {
        server.deploy(key, "plain", TestModules.load("plain"));
        long used = Long.parseLong(invoke(key, "plain").header("Sluice-Fuel-Used").orElseThrow());
        // Budget for three calls' worth of actual use, but the call's whole fuel limit is reserved up front.
        server.admin("PUT", "/admin/v1/tenants/acme", "{\"fuel-per-day\": " + (used * 3) + "}");
        server.call(key, "PUT", "/v1/functions/plain?fuel=" + used, TestModules.load("plain"), "application/wasm");
        for (int i = 0; i < 3; i++) {
            assertEquals(200, invoke(key, "plain").status(), "call " + i);
        }
        Reply denied = invoke(key, "plain");
        assertEquals(429, denied.status(), denied.toString());
        assertEquals("fuel-budget-exhausted", denied.problemType());
        server.call(key, "PUT", "/v1/functions/plain?fuel=" + (used * 3 + 1), TestModules.load("plain"),
                "application/wasm");
        server.advance(Duration.ofDays(1));
        assertEquals("fuel-budget-exhausted", invoke(key, "plain").problemType(),
                "a call whose limit exceeds the whole budget can never be reserved");
    }
}
