package dev.sluice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.config.SluiceConfig;
import dev.sluice.gateway.TestServer.Reply;
import dev.sluice.scheduler.Dispatcher;
import dev.sluice.scheduler.FunctionRegistry;
import dev.sluice.scheduler.GatedCompiles;
import dev.sluice.scheduler.LocalScheduler;
import dev.sluice.scheduler.testing.TestModules;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admin API's overview endpoints on a real server over real HTTP: every tenant's usage summed over days, a
 * tenant's functions, this process's live counters, and whether a function runs compiled. Each answers with real
 * data (tenants created, invocations made, throttles provoked), refuses without the admin token as the rest of the
 * admin API does, and turns absurd input into a problem with a stable type.
 */
class AdminOverviewTest {
    @TempDir
    Path dataDir;
    TestServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private static Reply invoke(TestServer server, String key, String function) {
        return server.call(key, "POST", "/v1/functions/" + function + "/invoke", new byte[0], "text/plain");
    }

    private void tenantsWithUsage() {
        server = TestServer.start(dataDir);
        usage(server);
    }

    /** acme (plan pro: 3 invocations, 1 failing, 1 throttle), globex (no plan: 1 invocation), idle (nothing). */
    static void usage(TestServer server) {
        assertEquals(201, server.admin("PUT", "/admin/v1/plans/pro", "{\"max-functions\": 10}").status());
        String acme = server.tenantWithKey("acme", "{\"plan\": \"pro\", \"requests-per-second\": 1, \"burst\": 5}");
        String globex = server.tenantWithKey("globex", "{}");
        server.tenantWithKey("idle", "{}");
        assertEquals(201, server.deploy(acme, "hello", TestModules.load("hello")).status());
        assertEquals(201, server.deploy(acme, "failing", TestModules.load("exit-code")).status());
        assertEquals(201, server.deploy(globex, "hello", TestModules.load("hello")).status());
        assertEquals(200, invoke(server, acme, "hello").status());
        assertEquals(200, invoke(server, acme, "hello").status());
        assertEquals(502, invoke(server, acme, "failing").status());
        // Its burst of 5 is spent (2 deploys, 3 calls) and the fake clock does not refill it.
        Reply throttled = invoke(server, acme, "hello");
        assertEquals("rate-limited", throttled.problemType());
        assertEquals(200, invoke(server, globex, "hello").status());
    }

    private static JsonNode row(JsonNode summary, String tenant) {
        for (JsonNode row : summary.get("tenants")) {
            if (row.get("tenant").asText().equals(tenant)) {
                return row;
            }
        }
        throw new AssertionError("no row for " + tenant + " in " + summary);
    }

    @Test
    void usageSummaryListsEveryTenantByNameWithItsPlanAndUsageSummedOverTheDays() {
        tenantsWithUsage();

        Reply today = server.admin("GET", "/admin/v1/usage", null);
        assertEquals(200, today.status(), today.toString());
        JsonNode summary = today.json();
        assertEquals(1, summary.get("days").asInt(), "one day by default");
        assertEquals("2026-01-01", summary.get("from").asText());
        assertEquals("2026-01-01", summary.get("to").asText());
        assertEquals(List.of("acme", "globex", "idle"), summary.get("tenants").findValuesAsText("tenant"));
        JsonNode acme = row(summary, "acme");
        assertEquals("pro", acme.get("plan").asText());
        assertEquals(3, acme.get("invocations").asLong());
        assertEquals(1, acme.get("errors").asLong());
        assertEquals(1, acme.get("throttles").asLong());
        assertTrue(acme.get("fuel").asLong() > 0);
        assertTrue(row(summary, "globex").get("plan").isNull(), "no plan is null, not absent");
        assertEquals(1, row(summary, "globex").get("invocations").asLong());
        assertEquals("{\"tenant\":\"idle\",\"plan\":null,\"invocations\":0,\"errors\":0,\"throttles\":0,\"fuel\":0}",
                row(summary, "idle").toString(), "a tenant without usage has zeros");
        // The same numbers as the tenant's own usage, summed.
        JsonNode own = server.admin("GET", "/admin/v1/tenants/acme/usage", null).json().get("total");
        for (String counter : List.of("invocations", "errors", "throttles", "fuel")) {
            assertEquals(own.get(counter), acme.get(counter), counter);
        }

        server.advance(Duration.ofDays(1));
        assertEquals(0, row(server.admin("GET", "/admin/v1/usage?days=1", null).json(), "acme")
                .get("invocations").asLong(), "a new UTC day");
        JsonNode twoDays = server.admin("GET", "/admin/v1/usage?days=2", null).json();
        assertEquals(2, twoDays.get("days").asInt());
        assertEquals("2026-01-01", twoDays.get("from").asText());
        assertEquals("2026-01-02", twoDays.get("to").asText());
        assertEquals(3, row(twoDays, "acme").get("invocations").asLong());
        assertEquals(62, server.admin("GET", "/admin/v1/usage?days=62", null).json().get("days").asInt());
    }

    @Test
    void absurdDaysAreInvalidRequestsNamingTheRange() {
        server = TestServer.start(dataDir);
        for (String days : List.of("0", "-1", "63", "abc", "99999999999", "1.5", "", "9223372036854775808",
                "%00", "1e3")) {
            for (String path : List.of("/admin/v1/usage?days=", "/admin/v1/tenants/acme/usage?days=")) {
                server.tenantWithKey("acme", "{}");
                Reply reply = server.admin("GET", path + days, null);
                assertEquals(400, reply.status(), path + days + ": " + reply);
                assertEquals("invalid-request", reply.problemType());
                assertTrue(reply.json().get("detail").asText().endsWith("(expected: an integer 1..62)"),
                        reply.body());
            }
        }
    }

    @Test
    void statsCountThisProcesssInvocationsErrorsAndThrottlesSinceItStarted() {
        server = TestServer.start(dataDir);
        Reply before = server.admin("GET", "/admin/v1/stats", null);
        assertEquals(200, before.status(), before.toString());
        assertEquals("application/json", before.header("Content-Type").orElseThrow());
        assertEquals("{\"time\":\"2026-01-01T00:00:00Z\",\"uptime-ms\":0,\"invocations\":0,\"errors\":0,"
                + "\"throttles\":0,\"in-flight\":0}", before.body());

        usage(server);
        server.advance(Duration.ofMillis(2_500));
        JsonNode after = server.admin("GET", "/admin/v1/stats", null).json();
        assertEquals("2026-01-01T00:00:02.500Z", after.get("time").asText());
        assertEquals(2_500, after.get("uptime-ms").asLong());
        assertEquals(4, after.get("invocations").asLong(), "acme's 3 and globex's 1 ran");
        assertEquals(1, after.get("errors").asLong());
        assertEquals(1, after.get("throttles").asLong());
        assertEquals(0, after.get("in-flight").asLong());
        List<String> members = new java.util.ArrayList<>();
        after.fieldNames().forEachRemaining(members::add);
        assertEquals(List.of("time", "uptime-ms", "invocations", "errors", "throttles", "in-flight"), members,
                "counters only: no tenant, function or key");
    }

    @Test
    void statsShowAnInvocationInFlightWhileItRuns() throws Exception {
        server = TestServer.start(dataDir);
        String acme = server.tenantWithKey("acme", "{}");
        // Held until its 2 s timeout by the watchdog: the only way a sleeping guest ends.
        assertEquals(201, server.call(acme, "PUT", "/v1/functions/holder?timeout-ms=2000",
                TestModules.load("sleep-forever"), "application/wasm").status());
        var held = java.util.concurrent.CompletableFuture.supplyAsync(() -> invoke(server, acme, "holder"));
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        JsonNode running;
        while ((running = server.admin("GET", "/admin/v1/stats", null).json()).get("in-flight").asLong() != 1
                && System.nanoTime() < deadline && !held.isDone()) {
            Thread.sleep(10); // the call is on its way in real time
        }
        assertEquals(1, running.get("in-flight").asLong(), running.toString());
        assertEquals(0, running.get("invocations").asLong(), "counted once answered");

        assertEquals("function-timeout", held.join().problemType());
        JsonNode after = server.admin("GET", "/admin/v1/stats", null).json();
        assertEquals(0, after.get("in-flight").asLong());
        assertEquals(1, after.get("invocations").asLong());
        assertEquals(1, after.get("errors").asLong(), "a timeout is an error");
    }

    @Test
    void aTenantsFunctionsAreListedAsTheTenantApiListsThem() {
        tenantsWithUsage();
        Reply listed = server.admin("GET", "/admin/v1/tenants/acme/functions", null);
        assertEquals(200, listed.status(), listed.toString());
        assertEquals(List.of("failing", "hello"), listed.json().get("functions").findValuesAsText("name"));
        assertTrue(listed.json().get("functions").get(0).has("runs-with"));

        server.advance(Duration.ofSeconds(10)); // acme's rate bucket refills for its own list
        String acmeKey = server.admin("POST", "/admin/v1/tenants/acme/keys", "{\"name\":\"reader\"}").json()
                .get("key").asText();
        Reply own = server.call(acmeKey, "GET", "/v1/functions", null, null);
        assertEquals(own.json(), listed.json(), "the tenant API's representation");

        JsonNode none = server.admin("GET", "/admin/v1/tenants/idle/functions", null).json();
        assertEquals("{\"functions\":[]}", none.toString());
    }

    @Test
    void unknownOrAbsurdTenantsAreProblems() {
        server = TestServer.start(dataDir);
        Reply unknown = server.admin("GET", "/admin/v1/tenants/nobody/functions", null);
        assertEquals(404, unknown.status());
        assertEquals("not-found", unknown.problemType());
        assertEquals("no tenant nobody", unknown.json().get("detail").asText());

        Reply invalid = server.admin("GET", "/admin/v1/tenants/" + "a".repeat(300) + "/functions", null);
        assertEquals("invalid-name", invalid.problemType());
        Reply odd = server.admin("GET", "/admin/v1/tenants/%00/functions", null);
        assertEquals("invalid-name", odd.problemType());

        Reply huge = server.admin("GET", "/admin/v1/tenants/" + "a".repeat(20_000) + "/functions", null);
        assertEquals("uri-too-long", huge.problemType());
        assertFalse(huge.body().contains("aaaaaaaaaa"), "the name is not echoed whole");
    }

    @Test
    void theNewEndpointsWantTheAdminTokenNotATenantKey() {
        server = TestServer.start(dataDir);
        String tenantKey = server.tenantWithKey("acme", "{}");
        for (String path : List.of("/admin/v1/usage", "/admin/v1/usage?days=abc", "/admin/v1/stats",
                "/admin/v1/tenants/acme/functions", "/admin/v1/tenants/nobody/functions")) {
            for (String credential : new String[] {null, tenantKey, "wrong-token"}) {
                Reply reply = server.call(credential, "GET", path, null, null);
                assertEquals(401, reply.status(), path + " with " + credential + ": " + reply);
                assertEquals("unauthorized", reply.problemType());
                assertEquals("Bearer realm=\"sluice-admin\"", reply.header("WWW-Authenticate").orElseThrow());
            }
        }
    }

    /** serve's scheduler, its compiles held until the test opens {@code gate}. */
    private static Sluice.Builder gatedServe(SluiceConfig config, CountDownLatch gate,
                                             AtomicReference<LocalScheduler> opened) {
        return Sluice.builder().config(config).execution((c, clock) -> {
            LocalScheduler local = GatedCompiles.open(Sluice.schedulerSettings(c), c.dataDir(), clock, gate);
            opened.set(local);
            return new Execution() {
                @Override
                public FunctionRegistry functions() {
                    return local.functions();
                }

                @Override
                public Dispatcher dispatcher() {
                    return local.dispatcher();
                }

                @Override
                public void close() {
                    local.close();
                }
            };
        });
    }

    @Test
    void compiledIsFalseWhileTheModuleRunsInterpretedAndTrueOnceItsCompileFinished() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        AtomicReference<LocalScheduler> scheduler = new AtomicReference<>();
        server = TestServer.start(dataDir, Map.of("compile-budget-ms", "1"), c -> gatedServe(c, gate, scheduler));
        String key = server.tenantWithKey("acme", "{}");

        Reply deployed = server.deploy(key, "echo", TestModules.load("echo"));
        assertEquals(201, deployed.status(), deployed.toString());
        assertFalse(deployed.json().get("compiled").asBoolean(), deployed.body());
        Reply interpreted = server.call(key, "GET", "/v1/functions/echo", null, null);
        assertFalse(interpreted.json().get("compiled").asBoolean(), interpreted.body());
        Reply ran = server.call(key, "POST", "/v1/functions/echo/invoke", "still interpreted"
                .getBytes(StandardCharsets.UTF_8), "text/plain");
        assertEquals(200, ran.status(), "it runs meanwhile, on the interpreter");

        gate.countDown();
        assertTrue(GatedCompiles.awaitTierUp(scheduler.get(), deployed.json().get("digest").asText(),
                Duration.ofSeconds(60)));
        Reply compiled = server.call(key, "GET", "/v1/functions/echo", null, null);
        assertTrue(compiled.json().get("compiled").asBoolean(), compiled.body());
        Reply again = server.deploy(key, "echo", TestModules.load("echo"));
        assertEquals(200, again.status());
        assertTrue(again.json().get("compiled").asBoolean(), "the same module, compiled already: " + again.body());
    }

    @Test
    void aGatewayWithRemoteWorkersLeavesCompiledOutItCannotKnow() {
        server = TestServer.start(dataDir.resolve("gateway"), Map.of("worker-secret", InJvmCluster.SECRET,
                "worker-addresses", "127.0.0.1:1"), config -> GatewayRole.builder(config, Map.of()));
        String key = server.tenantWithKey("acme", "{}");
        Reply deployed = server.deploy(key, "hello", TestModules.load("hello"));
        assertEquals(201, deployed.status(), deployed.toString());
        assertFalse(deployed.json().has("compiled"), deployed.body());
        assertFalse(server.call(key, "GET", "/v1/functions/hello", null, null).json().has("compiled"));
    }
}
