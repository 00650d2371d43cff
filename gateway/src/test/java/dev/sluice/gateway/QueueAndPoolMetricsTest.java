package dev.sluice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.gateway.MetricsTest.Exposition;
import dev.sluice.gateway.TestServer.Reply;
import dev.sluice.scheduler.testing.TestModules;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The queue and pool series through the production routing: a tenant whose second call waits behind its first shows
 * one queued call and one busy thread while it waits, and its queue wait once both ran; deploys are timed from their
 * module read. Two worker threads, one per tenant at once, so the second call of a tenant must queue.
 */
class QueueAndPoolMetricsTest {
    @TempDir
    Path dataDir;
    TestServer server;

    @BeforeEach
    void start() {
        server = TestServer.start(dataDir, Map.of("workers", "2", "tenant-max-concurrency", "1"));
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void aCallWaitingBehindItsTenantsFirstIsQueuedThenTimedByItsWait() throws Exception {
        String acme = server.tenantWithKey("acme", "{}");
        server.tenantWithKey("globex", "{}");
        // Held until its 2 s timeout by the watchdog: the only way a sleeping guest ends.
        assertEquals(201, server.call(acme, "PUT", "/v1/functions/holder?timeout-ms=2000",
                TestModules.load("sleep-forever"), "application/wasm").status());
        assertEquals(201, server.deploy(acme, "greeter", TestModules.load("hello")).status());

        Exposition idle = scrape();
        assertEquals(2, idle.value("sluice_worker_threads"));
        assertEquals(0, idle.value("sluice_worker_threads_busy"));
        assertEquals(0, idle.value("sluice_worker_queued"));

        CompletableFuture<Reply> held = CompletableFuture.supplyAsync(() -> invoke(acme, "holder"));
        awaitScrape(m -> m.value("sluice_worker_threads_busy") == 1);
        CompletableFuture<Reply> waiting = CompletableFuture.supplyAsync(() -> invoke(acme, "greeter"));
        // Counted queued by the gateway as it hands the call over, by the pool once in its queue.
        Exposition busy = awaitScrape(m -> m.value("sluice_invocations_queued", "tenant", "acme") == 1
                && m.value("sluice_worker_queued") == 1);
        assertEquals(1, busy.value("sluice_worker_threads_busy"), "the second call waits: acme's one slot is taken");
        assertEquals(0, busy.value("sluice_invocations_queued", "tenant", "globex"));
        assertEquals(1, busy.value("sluice_invocation_queue_wait_seconds_count", "tenant", "acme"),
                "only the first call has left the queue");

        assertEquals("function-timeout", held.join().problemType());
        assertEquals(200, waiting.join().status());
        // A worker frees its thread just after the answer is handed over: wait for it.
        Exposition after = awaitScrape(m -> m.value("sluice_worker_threads_busy") == 0);
        assertEquals(0, after.value("sluice_invocations_queued", "tenant", "acme"));
        assertEquals(0, after.value("sluice_worker_threads_busy"));
        assertEquals(0, after.value("sluice_worker_queued"));
        assertEquals(2, after.value("sluice_invocation_queue_wait_seconds_count", "tenant", "acme"));
        double waited = after.samples().stream()
                .filter(s -> s.name().equals("sluice_invocation_queue_wait_seconds_sum")).mapToDouble(s -> s.value())
                .sum();
        // The second call waited behind the first one; not bounded below: on a loaded machine it may be sent late.
        assertTrue(waited > 0, "queue wait " + waited + " s");
        assertEquals("histogram", after.types().get("sluice_invocation_queue_wait_seconds"));
        assertEquals("gauge", after.types().get("sluice_invocations_queued"));
        assertEquals("gauge", after.types().get("sluice_worker_threads_busy"));
        Promtool.accepts(server.admin("GET", "/metrics", null).body(), dataDir);
    }

    @Test
    void aCallRefusedByAFullTenantQueueLeavesTheQueuedGaugeAtZeroAndIsNotTimed() throws Exception {
        try (TestServer small = TestServer.start(dataDir.resolve("small"), Map.of("workers", "2",
                "tenant-max-concurrency", "1", "tenant-queue", "1"))) {
            String acme = small.tenantWithKey("acme", "{}");
            assertEquals(201, small.call(acme, "PUT", "/v1/functions/holder?timeout-ms=2000",
                    TestModules.load("sleep-forever"), "application/wasm").status());
            assertEquals(201, small.deploy(acme, "greeter", TestModules.load("hello")).status());
            CompletableFuture<Reply> held = CompletableFuture.supplyAsync(() -> invoke(small, acme, "holder"));
            awaitScrape(small, m -> m.value("sluice_worker_threads_busy") == 1);
            CompletableFuture<Reply> waiting = CompletableFuture.supplyAsync(() -> invoke(small, acme, "greeter"));
            awaitScrape(small, m -> m.value("sluice_invocations_queued", "tenant", "acme") == 1);
            // The queue's one place is taken: the third call is refused without ever leaving the queue.
            assertEquals("overloaded", invoke(small, acme, "greeter").problemType());
            assertEquals("function-timeout", held.join().problemType());
            assertEquals(200, waiting.join().status());
            Exposition after = awaitScrape(small, m -> m.value("sluice_worker_threads_busy") == 0);
            assertEquals(0, after.value("sluice_invocations_queued", "tenant", "acme"), "the refused call left it");
            assertEquals(2, after.value("sluice_invocation_queue_wait_seconds_count", "tenant", "acme"),
                    "only the two calls that started have a queue wait");
        }
    }

    @Test
    void deploysAreTimedFromTheirModuleReadAndOnlyThen() throws Exception {
        String acme = server.tenantWithKey("acme", "{\"max-timeout-ms\": 5000}");
        assertEquals(201, server.deploy(acme, "one", TestModules.load("hello")).status());
        assertEquals(200, server.deploy(acme, "one", TestModules.load("hello")).status());
        assertEquals("module-rejected", server.deploy(acme, "bad", TestModules.load("bad-import")).problemType());
        // Refused on its parameters before the module is read: counted, not timed.
        assertEquals(400, server.call(acme, "PUT", "/v1/functions/late?timeout-ms=5001",
                TestModules.load("hello"), "application/wasm").status());

        Exposition metrics = scrape();
        assertEquals(4, metrics.sum("sluice_deploys_total", "tenant", "acme"));
        assertEquals(3, metrics.value("sluice_deploy_duration_seconds_count", "tenant", "acme"));
        assertEquals("histogram", metrics.types().get("sluice_deploy_duration_seconds"));
        // The one module compiled (deployed twice, the same bytes), timed whole when its background compile ends.
        Exposition compiled = awaitScrape(m -> m.value("sluice_module_compile_duration_seconds_count") == 1);
        assertEquals("histogram", compiled.types().get("sluice_module_compile_duration_seconds"));
        assertTrue(compiled.samples().stream().filter(x -> x.name().equals("sluice_module_compile_duration_seconds_sum"))
                .mapToDouble(x -> x.value()).sum() > 0, "a compile takes some time");
    }

    private Reply invoke(String key, String function) {
        return invoke(server, key, function);
    }

    private static Reply invoke(TestServer on, String key, String function) {
        return on.call(key, "POST", "/v1/functions/" + function + "/invoke", new byte[0], "text/plain");
    }

    private Exposition scrape() {
        return scrape(server);
    }

    private static Exposition scrape(TestServer on) {
        Reply scraped = on.admin("GET", "/metrics", null);
        assertEquals(200, scraped.status(), scraped.toString());
        return Exposition.parse(scraped.body());
    }

    private Exposition awaitScrape(Predicate<Exposition> condition) throws Exception {
        return awaitScrape(server, condition);
    }

    private static Exposition awaitScrape(TestServer on, Predicate<Exposition> condition) throws Exception {
        return Exposition.await(() -> scrape(on), condition, Duration.ofSeconds(20));
    }
}
