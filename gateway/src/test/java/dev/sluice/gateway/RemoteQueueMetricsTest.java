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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The queue series on a {@code sluice gateway} in front of a remote worker with one slot: a tenant's second call waits
 * in the gateway's balancer while its first holds the slot, and shows as queued there, then as a queue wait.
 */
class RemoteQueueMetricsTest {
    @TempDir
    Path dir;

    @RegisterExtension
    final InJvmCluster cluster = new InJvmCluster(() -> dir);

    @Test
    void aCallWaitingInTheBalancerIsQueuedAtTheGatewayThenTimedByItsWait() throws Exception {
        WorkerRole worker = cluster.worker("w1", Map.of("workers", "1"));
        TestServer gateway = cluster.closeAtEnd(TestServer.start(dir.resolve("gateway"), Map.of(
                "worker-secret", InJvmCluster.SECRET, "worker-addresses", "127.0.0.1:" + worker.port(),
                "worker-max-concurrency", "1"), config -> GatewayRole.builder(config, Map.of())));
        String acme = gateway.tenantWithKey("acme", "{}");
        assertEquals(201, gateway.call(acme, "PUT", "/v1/functions/holder?timeout-ms=2000",
                TestModules.load("sleep-forever"), "application/wasm").status());
        assertEquals(201, gateway.deploy(acme, "greeter", TestModules.load("hello")).status());

        CompletableFuture<Reply> held = CompletableFuture.supplyAsync(() -> invoke(gateway, acme, "holder"));
        awaitScrape(gateway, m -> m.value("sluice_invocation_queue_wait_seconds_count", "tenant", "acme") == 1);
        CompletableFuture<Reply> waiting = CompletableFuture.supplyAsync(() -> invoke(gateway, acme, "greeter"));
        Exposition queued = awaitScrape(gateway, m -> m.value("sluice_invocations_queued", "tenant", "acme") == 1);
        assertEquals(1, queued.value("sluice_invocation_queue_wait_seconds_count", "tenant", "acme"));

        assertEquals("function-timeout", held.join().problemType());
        assertEquals(200, waiting.join().status());
        Exposition after = scrape(gateway);
        assertEquals(0, after.value("sluice_invocations_queued", "tenant", "acme"));
        assertEquals(2, after.value("sluice_invocation_queue_wait_seconds_count", "tenant", "acme"));
        double waited = after.samples().stream()
                .filter(s -> s.name().equals("sluice_invocation_queue_wait_seconds_sum")).mapToDouble(s -> s.value())
                .sum();
        // Not bounded below: on a loaded machine the second call may be sent late.
        assertTrue(waited > 0, "the second call waited behind the first one: " + waited + " s");
    }

    private static Reply invoke(TestServer gateway, String key, String function) {
        return gateway.call(key, "POST", "/v1/functions/" + function + "/invoke", new byte[0], "text/plain");
    }

    private static Exposition scrape(TestServer gateway) {
        Reply scraped = gateway.admin("GET", "/metrics", null);
        assertEquals(200, scraped.status(), scraped.toString());
        return Exposition.parse(scraped.body());
    }

    private static Exposition awaitScrape(TestServer gateway, Predicate<Exposition> condition) throws Exception {
        return Exposition.await(() -> scrape(gateway), condition, Duration.ofSeconds(30));
    }
}
