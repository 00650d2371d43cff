package dev.sluice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.gateway.TestServer.Reply;
import dev.sluice.scheduler.testing.HostileModules;
import dev.sluice.scheduler.testing.TestModules;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The hostile-module gauntlet over real HTTP: every attacker is deployed and invoked through the API and gets its
 * documented problem (or a 422 at deploy), no attack is ever a 500, and afterwards the same server answers
 * {@code hello} promptly. Another tenant's {@code hello} keeps working while hostile invocations flood the pool.
 */
class GauntletTest extends TenantApiTestBase {
    /** Generous: hello takes a few milliseconds; this only catches a server that is stuck or thrashing. */
    private static final long PROMPT_MS = 2_000;

    private Reply deploy(String name, byte[] module, String query) {
        return server.call(key, "PUT", "/v1/functions/" + name + query, module, "application/wasm");
    }

    private Reply invoke(String apiKey, String name, byte[] body) {
        return server.call(apiKey, "POST", "/v1/functions/" + name + "/invoke", body, "application/octet-stream");
    }

    /** Deploys {@code module} as {@code name} (which must succeed) and invokes it once. */
    private Reply attack(String name, byte[] module, String query, byte[] body) {
        Reply deployed = deploy(name, module, query);
        assertEquals(201, deployed.status(), name + " deploy: " + deployed);
        return invoke(key, name, body);
    }

    private void assertHelloIsPrompt(String apiKey) {
        long started = System.nanoTime();
        Reply reply = invoke(apiKey, "hello", new byte[0]);
        long ms = (System.nanoTime() - started) / 1_000_000;
        assertEquals(200, reply.status(), reply.toString());
        assertEquals("hello \n", reply.body());
        assertTrue(ms < PROMPT_MS, "hello took " + ms + " ms");
    }

    @Test
    void everyHostileInvocationGetsItsDocumentedProblemAndHelloStaysPromptAfterward() {
        var expected = new LinkedHashMap<String, String>(); // fixture -> problem type
        expected.put("infinite-loop", "fuel-exhausted");
        expected.put("fuel-start-loop", "fuel-exhausted");
        expected.put("stdin-spin", "fuel-exhausted");
        expected.put("memory-bomb", "memory-limit");
        expected.put("deep-recursion", "stack-exhausted");
        expected.put("mutual-recursion", "stack-exhausted");
        expected.put("huge-output", "output-limit");
        expected.put("stderr-flood", "output-limit");
        for (String trap : List.of("trap", "div-zero", "trap-overflow", "trap-conversion", "out-of-bounds",
                "trap-null-indirect", "trap-table-bounds", "trap-indirect-type", "data-past-memory")) {
            expected.put(trap, "function-trapped");
        }
        Map<String, String> actual = new LinkedHashMap<>();
        for (String fixture : expected.keySet()) {
            // Only the loops get a small budget: floods and recursion need ample fuel to reach their own limits.
            String fuel = Set.of("infinite-loop", "fuel-start-loop", "stdin-spin").contains(fixture)
                    ? "&fuel=1000000" : "";
            Reply reply = attack(fixture, TestModules.load(fixture), "?memory-pages=16" + fuel, new byte[0]);
            assertEquals(502, reply.status(), fixture + ": " + reply);
            actual.put(fixture, reply.problemType());
        }
        assertEquals(expected, actual);

        Reply sleeper = attack("sleep-forever", TestModules.load("sleep-forever"), "?timeout-ms=300", new byte[0]);
        assertEquals(504, sleeper.status(), sleeper.toString());
        assertEquals("function-timeout", sleeper.problemType());

        server.deploy(key, "hello", TestModules.load("hello"));
        assertHelloIsPrompt(key);
    }

    @Test
    void everyHostileModuleIsRefusedAtDeployWithItsReason() {
        var expected = new LinkedHashMap<String, String>();
        var modules = new LinkedHashMap<String, byte[]>();
        modules.put("huge-memory", TestModules.load("huge-memory"));
        expected.put("huge-memory", "too-much-memory");
        modules.put("huge-table", TestModules.load("huge-table"));
        expected.put("huge-table", "too-much-memory");
        modules.put("billions-of-locals", HostileModules.fourBillionLocals());
        expected.put("billions-of-locals", "too-complex");
        modules.put("spread-locals", HostileModules.hundredMillionLocals());
        expected.put("spread-locals", "too-complex");
        modules.put("many-functions", HostileModules.functions(50_001));
        expected.put("many-functions", "too-complex");
        modules.put("param-claim", HostileModules.typeClaimingTwoBillionParameters());
        expected.put("param-claim", "malformed");
        modules.put("data-claim", HostileModules.dataSegmentClaimingTwoGigabytes());
        expected.put("data-claim", "malformed");
        modules.put("elem-claim", HostileModules.elementSegmentClaimingTwoBillionEntries());
        expected.put("elem-claim", "malformed");
        modules.put("truncated", HostileModules.truncated(TestModules.load("hello"), 100));
        expected.put("truncated", "malformed");
        modules.put("bad-import", TestModules.load("bad-import"));
        expected.put("bad-import", "forbidden-import");
        modules.put("unknown-wasi", TestModules.load("unknown-wasi"));
        expected.put("unknown-wasi", "forbidden-import");

        Map<String, String> actual = new LinkedHashMap<>();
        modules.forEach((name, module) -> {
            Reply reply = deploy(name, module, "");
            assertEquals(422, reply.status(), name + ": " + reply);
            assertEquals("module-rejected", reply.problemType());
            actual.put(name, reply.json().get("reason").asText());
        });
        assertEquals(expected, actual);
        assertEquals(0, server.call(key, "GET", "/v1/functions", null, null).json().get("functions").size(),
                "nothing was stored");

        server.deploy(key, "hello", TestModules.load("hello"));
        assertHelloIsPrompt(key);
    }

    @Test
    void procExitWithOddCodesIsAnOrdinaryExit() {
        server.deploy(key, "exit", TestModules.load("proc-exit"));
        Map<Long, Integer> codes = new LinkedHashMap<>();
        for (long code : new long[] {1, 255, 256, 0xFFFF_FFFFL, 0x8000_0000L}) {
            byte[] body = {(byte) code, (byte) (code >>> 8), (byte) (code >>> 16), (byte) (code >>> 24)};
            Reply reply = invoke(key, "exit", body);
            assertEquals(502, reply.status(), reply.toString());
            assertEquals("function-failed", reply.problemType());
            codes.put(code, reply.json().get("exit-code").asInt());
        }
        assertEquals(Map.of(1L, 1, 255L, 255, 256L, 256, 0xFFFF_FFFFL, -1, 0x8000_0000L, Integer.MIN_VALUE), codes);
        assertEquals(200, invoke(key, "exit", new byte[4]).status(), "proc_exit(0) is success");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void anotherTenantsHelloKeepsWorkingDuringAFloodOfHostileInvocations() throws Exception {
        String bystander = server.tenantWithKey("bystander", "{}");
        assertEquals(201, server.deploy(bystander, "hello", TestModules.load("hello")).status());
        for (String fixture : List.of("infinite-loop", "memory-bomb", "deep-recursion", "huge-output")) {
            assertEquals(201, deploy(fixture, TestModules.load(fixture), "?memory-pages=64").status());
        }
        assertEquals(201, deploy("sleep-forever", TestModules.load("sleep-forever"), "?timeout-ms=500").status());
        List<String> hostile = List.of("infinite-loop", "memory-bomb", "deep-recursion", "huge-output",
                "sleep-forever");
        Set<String> documented = Set.of("fuel-exhausted", "memory-limit", "stack-exhausted", "output-limit",
                "function-timeout", "overloaded");

        var flooding = new AtomicBoolean(true);
        var floodAnswers = new ConcurrentHashMap<String, Integer>();
        var started = new CountDownLatch(6);
        try (var pool = Executors.newFixedThreadPool(6)) {
            List<Future<?>> flood = new ArrayList<>();
            for (int t = 0; t < 6; t++) {
                int first = t;
                flood.add(pool.submit(() -> {
                    started.countDown();
                    for (int i = first; flooding.get(); i++) {
                        Reply reply = invoke(key, hostile.get(i % hostile.size()), new byte[0]);
                        String type = reply.problemType();
                        assertTrue(documented.contains(type), "flood got " + reply);
                        floodAnswers.merge(type, 1, Integer::sum);
                    }
                    return null;
                }));
            }
            started.await();
            try {
                for (int i = 0; i < 20; i++) {
                    assertHelloIsPrompt(bystander);
                }
            } finally {
                flooding.set(false);
            }
            for (Future<?> f : flood) {
                f.get(30, TimeUnit.SECONDS); // rethrows a flood thread's failed assertion
            }
        }
        assertTrue(floodAnswers.values().stream().mapToInt(Integer::intValue).sum() > 0, "the flood ran");
        server.deploy(key, "hello", TestModules.load("hello"));
        assertHelloIsPrompt(key);
    }

    @Test
    void theServerReportsNoInternalErrorForAnyTruncationOfAModule() {
        byte[] hello = TestModules.load("hello");
        for (int length = 0; length < hello.length; length += 7) {
            Reply reply = deploy("cut", HostileModules.truncated(hello, length), "");
            assertTrue(reply.status() == 422 || reply.status() == 201 || reply.status() == 200,
                    length + " bytes: " + reply);
        }
    }
}
