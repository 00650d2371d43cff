package dev.sluice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.gateway.TestServer.Reply;
import dev.sluice.scheduler.testing.TestModules;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** End to end through real HTTP against the production routing: the provider's and the tenants' whole journey. */
class SluiceApiTest extends TenantApiTestBase {
    private Reply invoke(String apiKey, String function, String pathAndQuery, String body) {
        return server.call(apiKey, "POST", "/v1/functions/" + function + "/invoke" + pathAndQuery,
                body.getBytes(StandardCharsets.UTF_8), "text/plain");
    }

    @Test
    void tenantDeploysAndInvokesAFunctionWithBodyAndQuery() {
        Reply deployed = server.deploy(key, "hello", TestModules.load("hello"));
        assertEquals(201, deployed.status(), deployed.toString());
        JsonNode spec = deployed.json();
        assertEquals("hello", spec.get("name").asText());
        assertTrue(spec.get("digest").asText().matches("sha256:[0-9a-f]{64}"), spec.toString());
        assertEquals(TestModules.load("hello").length, spec.get("size").asLong());

        Reply reply = invoke(key, "hello", "?name=ada", "xyz");
        assertEquals(200, reply.status(), reply.toString());
        assertEquals("hello name=ada\nxyz", reply.body());
        assertTrue(reply.header("Content-Type").orElseThrow().startsWith("text/plain"));
        assertTrue(reply.header("RateLimit").isPresent());
        assertTrue(reply.header("RateLimit-Policy").isPresent());
    }

    @Test
    void everyInvocationReportsTheSameFuelForTheSameInput() {
        server.deploy(key, "hello", TestModules.load("hello"));
        Reply first = invoke(key, "hello", "?name=ada", "xyz");
        long fuel = Long.parseLong(first.header("Sluice-Fuel-Used").orElseThrow());
        assertTrue(fuel > 0, "fuel " + fuel);
        for (int i = 0; i < 5; i++) {
            assertEquals(fuel, Long.parseLong(invoke(key, "hello", "?name=ada", "xyz").header("Sluice-Fuel-Used")
                    .orElseThrow()));
        }
        assertEquals(fuel * 6, server.call(key, "GET", "/v1/usage", null, null).json().get("total").get("fuel")
                .asLong(), "usage adds up the fuel of every call");
    }

    @Test
    void functionOutOfFuelGetsFuelExhaustedWithTheFuelUsed() {
        Reply deployed = server.call(key, "PUT", "/v1/functions/loop?fuel=5000", TestModules.load("infinite-loop"),
                "application/wasm");
        assertEquals(5000, deployed.json().get("fuel").asLong());
        Reply reply = invoke(key, "loop", "", "");
        assertEquals(502, reply.status(), reply.toString());
        assertEquals("fuel-exhausted", reply.problemType());
        assertEquals(5000, reply.json().get("fuel-used").asLong());
        assertEquals("5000", reply.header("Sluice-Fuel-Used").orElseThrow());
    }

    @Test
    void fuelAboveTheTenantsMaximumIsRefusedAtDeploy() {
        String small = server.tenantWithKey("small", "{\"max-fuel-per-call\": 1000}");
        Reply reply = server.call(small, "PUT", "/v1/functions/f?fuel=1001", TestModules.load("hello"),
                "application/wasm");
        assertEquals(400, reply.status());
        assertEquals(1000, server.deploy(small, "f", TestModules.load("hello")).json().get("fuel").asLong(),
                "the default is the tenant's maximum");
    }

    @Test
    void redeployingTheSameNameAnswers200AndReplacesTheModule() {
        assertEquals(201, server.deploy(key, "fn", TestModules.load("hello")).status());
        Reply again = server.deploy(key, "fn", TestModules.load("plain"));
        assertEquals(200, again.status(), again.toString());
        assertEquals("just text\n", invoke(key, "fn", "", "").body());
    }

    @Test
    void functionListAndDescribeShowOnlyMetadata() {
        server.deploy(key, "hello", TestModules.load("hello"));
        Reply list = server.call(key, "GET", "/v1/functions", null, null);
        assertEquals(200, list.status());
        assertEquals("hello", list.json().get("functions").get(0).get("name").asText());
        Reply one = server.call(key, "GET", "/v1/functions/hello", null, null);
        assertEquals(200, one.status());
        var described = (com.fasterxml.jackson.databind.node.ObjectNode) one.json();
        // Beside the list's members, one function shows whether it runs compiled yet (timing: either may be seen).
        assertTrue(described.remove("compiled").isBoolean(), one.body());
        assertEquals(list.json().get("functions").get(0), described);
    }

    @Test
    void cgiStatusAndHeadersBecomeTheHttpResponse() {
        server.deploy(key, "status", TestModules.load("status"));
        Reply reply = invoke(key, "status", "", "");
        assertEquals(201, reply.status(), reply.toString());
        assertEquals("yes", reply.header("X-Custom").orElseThrow());
        assertEquals("created\n", reply.body());
    }

    @Test
    void aHeaderTheFunctionSendsTwiceReachesTheClientTwice() {
        server.deploy(key, "cookies", TestModules.load("cookies"));
        Reply reply = invoke(key, "cookies", "", "");
        assertEquals(200, reply.status(), reply.toString());
        assertEquals(java.util.List.of("a=1", "b=2"), reply.response().headers().allValues("Set-Cookie"));
    }

    @Test
    void outputWithoutHeadersIsSentAsPlainText() {
        server.deploy(key, "plain", TestModules.load("plain"));
        Reply reply = invoke(key, "plain", "", "");
        assertEquals(200, reply.status());
        assertEquals("just text\n", reply.body());
        assertTrue(reply.header("Content-Type").orElseThrow().startsWith("text/plain"));
    }

    @Test
    void echoReturnsTheRequestBodyByteForByte() {
        server.deploy(key, "echo", TestModules.load("echo"));
        byte[] payload = new byte[70_000];
        for (int i = 0; i < payload.length; i++) {
            payload[i] = (byte) (i * 31);
        }
        Reply reply = server.call(key, "POST", "/v1/functions/echo/invoke/some/path", payload,
                "application/octet-stream");
        assertEquals(200, reply.status(), reply.toString());
        assertEquals("application/octet-stream", reply.header("Content-Type").orElseThrow());
        assertTrue(java.util.Arrays.equals(payload, reply.response().body()));
    }

    @Test
    void nonZeroExitIs502WithTheExitCodeAndNoStderr() {
        server.deploy(key, "exit-code", TestModules.load("exit-code"));
        Reply reply = invoke(key, "exit-code", "", "");
        assertEquals(502, reply.status());
        assertEquals("function-failed", reply.problemType());
        assertEquals(3, reply.json().get("exit-code").asInt());
        assertFalse(reply.body().contains("boom"), "stderr must not reach the client");
    }

    @Test
    void trapIs502FunctionTrapped() {
        server.deploy(key, "trap", TestModules.load("trap"));
        Reply reply = invoke(key, "trap", "", "");
        assertEquals(502, reply.status());
        assertEquals("function-trapped", reply.problemType());
    }

    @Test
    void infiniteLoopWithAmpleFuelIsStoppedAtTheTimeoutAndTheServerKeepsServing() {
        String patient = server.tenantWithKey("patient", "{\"max-fuel-per-call\": 1000000000000000}");
        assertEquals(201, server.call(patient, "PUT", "/v1/functions/loop?timeout-ms=300",
                TestModules.load("infinite-loop"), "application/wasm").status());
        long started = System.nanoTime();
        Reply reply = invoke(patient, "loop", "", "");
        long elapsedMs = (System.nanoTime() - started) / 1_000_000;
        assertEquals(504, reply.status(), reply.toString());
        assertEquals("function-timeout", reply.problemType());
        assertTrue(elapsedMs < 5_000, "stopped after " + elapsedMs + " ms");

        server.deploy(key, "hello", TestModules.load("hello"));
        assertEquals(200, invoke(key, "hello", "", "").status());
    }

    @Test
    void memoryBombFailsCleanly() {
        server.call(key, "PUT", "/v1/functions/bomb?memory-pages=16", TestModules.load("memory-bomb"),
                "application/wasm");
        Reply reply = invoke(key, "bomb", "", "");
        assertEquals(502, reply.status(), reply.toString());
        assertTrue(Map.of("memory-limit", 1, "function-trapped", 1).containsKey(reply.problemType()), reply.toString());
    }

    @Test
    void hugeOutputIsCutOffWithAProblem() {
        server.deploy(key, "flood", TestModules.load("huge-output"));
        Reply reply = invoke(key, "flood", "", "");
        assertEquals(502, reply.status());
        assertEquals("output-limit", reply.problemType());
    }

    @Test
    void tenantOverItsRateGets429WithRetryAfterAndRecoversWhenTheClockAdvances() {
        String limited = server.tenantWithKey("slow", "{\"requests-per-second\": 1, \"burst\": 2}");
        server.deploy(key, "hello", TestModules.load("hello"));
        Reply first = server.call(limited, "GET", "/v1/functions", null, null);
        assertEquals(200, first.status());
        assertEquals("\"rate\";q=2;w=2", first.header("RateLimit-Policy").orElseThrow());
        assertEquals("\"rate\";r=1;t=1", first.header("RateLimit").orElseThrow());
        assertEquals(200, server.call(limited, "GET", "/v1/functions", null, null).status());

        Reply denied = server.call(limited, "GET", "/v1/functions", null, null);
        assertEquals(429, denied.status());
        assertEquals("rate-limited", denied.problemType());
        assertEquals("1", denied.header("Retry-After").orElseThrow());
        assertEquals("\"rate\";r=0;t=2", denied.header("RateLimit").orElseThrow());

        // Another tenant is not affected by the first one's exhaustion.
        assertEquals(200, server.call(key, "GET", "/v1/functions", null, null).status());

        server.advance(Duration.ofSeconds(1));
        assertEquals(200, server.call(limited, "GET", "/v1/functions", null, null).status());
    }

    @Test
    void everyAuthenticationFailureLooksTheSame() {
        Reply issued = server.admin("POST", "/admin/v1/tenants/acme/keys", "{\"name\":\"short-lived\","
                + "\"expires-at\":\"2026-01-01T01:00:00Z\"}");
        assertEquals(201, issued.status(), issued.toString());
        String expiring = issued.json().get("key").asText();
        Reply revokedKey = server.admin("POST", "/admin/v1/tenants/acme/keys", "{\"name\":\"doomed\"}");
        String revoked = revokedKey.json().get("key").asText();
        assertEquals(204, server.admin("DELETE", "/admin/v1/tenants/acme/keys/" + revokedKey.json().get("id").asText(),
                null).status());
        server.advance(Duration.ofHours(2));

        String forgedSecret = key.substring(0, key.length() - 4) + "AAAA";
        Reply reference = server.call(null, "GET", "/v1/functions", null, null);
        for (String presented : new String[] {"", "garbage", "sk_", "sk_0000000000000000_x", forgedSecret, revoked,
                expiring}) {
            Reply reply = server.call(presented.isEmpty() ? null : presented, "GET", "/v1/functions", null, null);
            assertEquals(401, reply.status(), presented);
            assertEquals("unauthorized", reply.problemType());
            assertEquals("Bearer realm=\"sluice\"", reply.header("WWW-Authenticate").orElseThrow());
            assertEquals(reference.body(), reply.body(), "the body must not tell the cases apart");
        }
        assertEquals(200, server.call(key, "GET", "/v1/functions", null, null).status());
    }

    @Test
    void revokedKeyIsRejectedAtOnce() {
        Reply issued = server.admin("POST", "/admin/v1/tenants/acme/keys", "{\"name\":\"ci\"}");
        String secret = issued.json().get("key").asText();
        assertEquals(200, server.call(secret, "GET", "/v1/functions", null, null).status());
        Reply keys = server.admin("GET", "/admin/v1/tenants/acme/keys", null);
        assertFalse(keys.body().contains(secret.substring(secret.lastIndexOf('_') + 1)), "list must not show secrets");
        server.admin("DELETE", "/admin/v1/tenants/acme/keys/" + issued.json().get("id").asText(), null);
        assertEquals(401, server.call(secret, "GET", "/v1/functions", null, null).status());
    }

    @Test
    void tenantsCannotSeeInvokeOrDeleteEachOthersFunctions() {
        server.deploy(key, "hello", TestModules.load("hello"));
        String other = server.tenantWithKey("globex", "{}");
        assertEquals(0, server.call(other, "GET", "/v1/functions", null, null).json().get("functions").size());
        assertEquals("not-found", server.call(other, "GET", "/v1/functions/hello", null, null).problemType());
        assertEquals(404, invoke(other, "hello", "", "").status());
        assertEquals(404, server.call(other, "DELETE", "/v1/functions/hello", null, null).status());
        // Same name in another tenant is a different function.
        assertEquals(201, server.deploy(other, "hello", TestModules.load("plain")).status());
        assertEquals("just text\n", invoke(other, "hello", "", "").body());
        assertEquals("hello \n", invoke(key, "hello", "", "").body().substring(0, 7));
    }

    @Test
    void restartKeepsTenantsKeysAndFunctions() {
        server.deploy(key, "hello", TestModules.load("hello"));
        server.restart();
        assertEquals(200, server.admin("GET", "/admin/v1/tenants/acme", null).status());
        Reply reply = invoke(key, "hello", "?x=1", "");
        assertEquals(200, reply.status(), reply.toString());
        assertEquals("hello x=1\n", reply.body());
    }

    @Test
    void deletingATenantRemovesItsKeysAndFunctions() {
        server.deploy(key, "hello", TestModules.load("hello"));
        assertEquals(204, server.admin("DELETE", "/admin/v1/tenants/acme", null).status());
        assertEquals(401, server.call(key, "GET", "/v1/functions", null, null).status());
        assertEquals(404, server.admin("GET", "/admin/v1/tenants/acme", null).status());
        String again = server.tenantWithKey("acme", "{}");
        assertEquals(0, server.call(again, "GET", "/v1/functions", null, null).json().get("functions").size());
    }

    @Test
    void adminApiCreatesUpdatesAndListsTenants() {
        Reply created = server.admin("PUT", "/admin/v1/tenants/initech", "{\"requests-per-second\": 5}");
        assertEquals(201, created.status());
        assertEquals(5, created.json().get("limits").get("requests-per-second").asLong());
        assertEquals(1000, created.json().get("limits").get("burst").asLong(), "unset fields take the configured defaults");
        Reply updated = server.admin("PUT", "/admin/v1/tenants/initech", "{\"burst\": 7}");
        assertEquals(200, updated.status());
        assertEquals(5, updated.json().get("limits").get("requests-per-second").asLong(), "unset fields keep their value");
        assertEquals(7, updated.json().get("limits").get("burst").asLong());
        Reply list = server.admin("GET", "/admin/v1/tenants", null);
        assertEquals(2, list.json().get("tenants").size());
    }

    @Test
    void adminApiNeedsTheAdminToken() {
        Reply anonymous = server.call(null, "GET", "/admin/v1/tenants", null, null);
        assertEquals(401, anonymous.status());
        assertEquals("unauthorized", anonymous.problemType());
        assertEquals(401, server.call(key, "GET", "/admin/v1/tenants", null, null).status(),
                "a tenant key is not an admin token");
    }

    @Test
    void usageCountsInvocationsErrorsAndThrottlesForTheTenantAndTheProvider() {
        server.deploy(key, "hello", TestModules.load("hello"));
        server.deploy(key, "exit-code", TestModules.load("exit-code"));
        invoke(key, "hello", "", "");
        invoke(key, "hello", "", "");
        invoke(key, "exit-code", "", "");
        String limited = server.tenantWithKey("slow", "{\"requests-per-second\": 1, \"burst\": 1}");
        server.call(limited, "GET", "/v1/functions", null, null);
        assertEquals(429, server.call(limited, "GET", "/v1/functions", null, null).status());

        JsonNode mine = server.call(key, "GET", "/v1/usage", null, null).json();
        assertEquals("acme", mine.get("tenant").asText());
        assertEquals(3, mine.get("total").get("invocations").asLong());
        assertEquals(1, mine.get("total").get("errors").asLong());
        assertEquals("2026-01-01", mine.get("days").get(0).get("day").asText());

        JsonNode theirs = server.admin("GET", "/admin/v1/tenants/slow/usage?days=7", null).json();
        assertEquals(1, theirs.get("total").get("throttles").asLong());
        assertEquals(0, theirs.get("total").get("invocations").asLong());
        assertEquals("invalid-request",
                server.call(key, "GET", "/v1/usage?days=0", null, null).problemType());
    }

    @Test
    void healthAndReadinessNeedNoAuth() {
        assertEquals(200, server.call(null, "GET", "/health", null, null).status());
        Reply ready = server.call(null, "GET", "/health/ready", null, null);
        assertEquals(200, ready.status());
        assertEquals("READY", ready.json().get("status").asText());
    }
}
