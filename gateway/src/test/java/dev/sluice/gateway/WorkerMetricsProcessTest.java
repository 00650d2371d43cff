package dev.sluice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.gateway.MetricsTest.Exposition;
import dev.sluice.gateway.TestServer.Reply;
import dev.sluice.scheduler.cluster.WorkerAddress;
import dev.sluice.scheduler.testing.TestModules;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A worker process ({@code sluice worker}) with {@code metrics-port} serves its pool's metrics there (and its health,
 * without the secret, for Kubernetes' probes): its threads, how many run a guest while a call runs on it, and nothing
 * per tenant; the gateway in front of it times the call's queue wait by tenant and shows no worker threads of its own.
 */
class WorkerMetricsProcessTest {
    @TempDir
    Path dir;

    @RegisterExtension
    final InJvmCluster cluster = new InJvmCluster(() -> dir);
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void aWorkerProcessServesItsPoolsLoadOnItsMetricsPort() throws Exception {
        int metricsPort;
        try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            metricsPort = free.getLocalPort();
        }
        GatewayProcess worker = GatewayProcess.launch("worker", "worker", dir.resolve("worker"), Map.of(
                "worker-secret", RemoteDispatchTest.SECRET, "worker-port", "0", "worker-id", "w1", "workers", "3",
                "worker-module-dir", dir.resolve("gateway/modules").toString(),
                "metrics-port", Integer.toString(metricsPort)), GatewayProcess.SMALL_JVM);
        cluster.closeAtEnd(worker);
        worker.awaitPort(Duration.ofSeconds(120));
        TestServer gateway = cluster.gateway(new WorkerAddress("w1", "127.0.0.1", worker.port(), 3));

        // Kubernetes probes a worker process here, without the worker secret.
        HttpResponse<String> ready = get(metricsPort, "/health/ready");
        assertEquals(200, ready.statusCode(), ready.body());
        assertTrue(ready.body().contains("\"status\":\"READY\""), ready.body());
        assertEquals(200, get(metricsPort, "/health").statusCode());

        Exposition idle = scrape(metricsPort);
        assertEquals(3, idle.value("sluice_worker_threads"));
        assertEquals(0, idle.value("sluice_worker_threads_busy"));
        assertEquals(0, idle.value("sluice_worker_queued"));

        String key = gateway.tenantWithKey("acme", "{}");
        assertEquals(201, gateway.call(key, "PUT", "/v1/functions/holder?timeout-ms=3000",
                TestModules.load("sleep-forever"), "application/wasm").status());
        CompletableFuture<Reply> held = CompletableFuture.supplyAsync(() -> gateway.call(key, "POST",
                "/v1/functions/holder/invoke", new byte[0], "text/plain"));
        Exposition busy = awaitScrape(metricsPort, m -> m.value("sluice_worker_threads_busy") == 1);
        assertEquals(3, busy.value("sluice_worker_threads"));
        assertEquals(0, busy.value("sluice_worker_queued"));
        assertEquals("function-timeout", held.join().problemType());
        Exposition after = awaitScrape(metricsPort, m -> m.value("sluice_worker_threads_busy") == 0);
        assertTrue(after.samples().stream().noneMatch(s -> s.labels().containsKey("tenant")),
                "a worker knows tenants by an internal id only: no tenant label");

        Exposition front = Exposition.parse(gateway.admin("GET", "/metrics", null).body());
        assertEquals(1, front.value("sluice_invocation_queue_wait_seconds_count", "tenant", "acme"),
                "the remote call left the gateway's queue once");
        assertEquals(0, front.value("sluice_invocations_queued", "tenant", "acme"));
        assertFalse(front.types().containsKey("sluice_worker_threads"), "the gateway runs no guest");
        Promtool.accepts(fetch(metricsPort), dir);
    }

    private HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private String fetch(int port) throws IOException, InterruptedException {
        HttpResponse<String> response = get(port, "/metrics");
        assertEquals(200, response.statusCode(), response.body());
        assertTrue(response.headers().firstValue("Content-Type").orElseThrow().startsWith("text/plain; version=0.0.4"));
        return response.body();
    }

    private Exposition scrape(int port) throws IOException, InterruptedException {
        return Exposition.parse(fetch(port));
    }

    /** Scrapes the other process until {@code condition} holds, for at most 60 s (real time, real processes). */
    private Exposition awaitScrape(int port, Predicate<Exposition> condition) throws Exception {
        return Exposition.await(() -> scrape(port), condition, Duration.ofSeconds(60));
    }
}
