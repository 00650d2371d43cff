package dev.sluice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.config.SluiceConfig;
import dev.sluice.gateway.TestServer.Reply;
import dev.sluice.gateway.remote.InternalProtocol;
import dev.sluice.scheduler.testing.TestModules;
import dev.sluice.tenancy.testing.RedisTestServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The management listener ({@code metrics-host}:{@code metrics-port}) serves {@code /health} and
 * {@code /health/ready} without any credential, for every role: where Kubernetes probes. A gateway's readiness there
 * is its main port's, answer for answer; a worker's is its own lifecycle (STARTING until it listens and is
 * advertised, READY, DRAINING from the moment its stop begins). Nothing of any tenant, and not the worker's internal
 * API, is served there.
 */
class ManagementHealthTest {
    @TempDir
    Path dir;

    @RegisterExtension
    final InJvmCluster cluster = new InJvmCluster(() -> dir);
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private static int freePort() throws IOException {
        try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return free.getLocalPort();
        }
    }

    /** A request with no header at all: no token, no key, no worker secret. */
    private Reply get(int port, String path) {
        return send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).GET());
    }

    private Reply send(HttpRequest.Builder request) {
        try {
            return new Reply(http.send(request.timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofByteArray()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * Asks {@code path} on {@code port} until the answer satisfies {@code condition} (a refused connection counts as
     * not yet), for at most {@code bound}: real servers on real threads, no clock to advance.
     */
    private Reply await(int port, String path, Predicate<Reply> condition, Duration bound) throws Exception {
        long deadline = System.nanoTime() + bound.toNanos();
        Reply last = null;
        while (System.nanoTime() < deadline) {
            try {
                last = get(port, path);
                if (condition.test(last)) {
                    return last;
                }
            } catch (UncheckedIOException e) {
                if (!(e.getCause() instanceof ConnectException)) {
                    throw e;
                }
            }
            Thread.sleep(10);
        }
        throw new AssertionError(path + " on port " + port + " never satisfied the condition within " + bound
                + "; last answer: " + last);
    }

    private static void assertSameAnswer(Reply main, Reply management, String path) {
        assertEquals(main.status(), management.status(), path + ": status on the management port");
        assertEquals(main.header("Content-Type"), management.header("Content-Type"), path + ": Content-Type");
        assertEquals(main.json(), management.json(), path + ": body on the management port");
    }

    @Test
    void aGatewaysManagementReadinessIsItsMainPortsFromStartingToReady() throws Exception {
        int port = freePort();
        try (RedisTestServer redis = RedisTestServer.start()) {
            redis.stop(); // the shared store is away at start: not ready, yet running
            try (TestServer gateway = TestServer.start(dir.resolve("gateway"),
                    Map.of("tenancy-store", "redis", "redis-uri", redis.uri(), "metrics-port", Integer.toString(port)),
                    config -> GatewayRole.builder(config, Map.of("SLUICE_WORKER_SECRET", InJvmCluster.SECRET),
                            c -> () -> List.of(), FixedOrderBalancer::new))) {
                Reply starting = gateway.call(null, "GET", "/health/ready", null, null);
                assertEquals(503, starting.status(), starting.toString());
                assertEquals("STARTING", starting.json().get("status").asText(), starting.toString());
                assertSameAnswer(starting, get(port, "/health/ready"), "/health/ready while STARTING");
                assertSameAnswer(gateway.call(null, "GET", "/health", null, null), get(port, "/health"), "/health");
                assertEquals("UP", get(port, "/health").json().get("status").asText());

                redis.startServer();
                Reply ready = await(gateway.sluice.port(), "/health/ready", r -> r.status() == 200,
                        Duration.ofSeconds(60));
                assertEquals("READY", ready.json().get("status").asText(), ready.toString());
                assertSameAnswer(ready, get(port, "/health/ready"), "/health/ready once READY");
            }
        }
    }

    @Test
    void aGatewaysManagementPortServesNoTenantOrAdminRouteEvenWithCredentials() throws Exception {
        int port = freePort();
        try (TestServer server = TestServer.start(dir.resolve("serve"), Map.of("metrics-port",
                Integer.toString(port)))) {
            String key = server.tenantWithKey("acme", "{}");
            assertEquals(201, server.deploy(key, "hello", TestModules.load("hello")).status());
            URI base = URI.create("http://127.0.0.1:" + port);
            List<HttpRequest.Builder> tenantish = List.of(
                    HttpRequest.newBuilder(base.resolve("/v1/functions")).header("Authorization", "Bearer " + key),
                    HttpRequest.newBuilder(base.resolve("/v1/functions/hello/invoke"))
                            .header("Authorization", "Bearer " + key).POST(HttpRequest.BodyPublishers.noBody()),
                    HttpRequest.newBuilder(base.resolve("/admin/v1/tenants"))
                            .header("Authorization", "Bearer " + TestServer.ADMIN_TOKEN),
                    HttpRequest.newBuilder(base.resolve("/admin/v1/config"))
                            .header("Authorization", "Bearer " + TestServer.ADMIN_TOKEN),
                    HttpRequest.newBuilder(base.resolve("/health/live")),
                    HttpRequest.newBuilder(base.resolve("/healthz")),
                    HttpRequest.newBuilder(base.resolve("/health/ready")).POST(HttpRequest.BodyPublishers.noBody()));
            for (HttpRequest.Builder request : tenantish) {
                Reply reply = send(request);
                String what = request.build().method() + " " + request.build().uri().getPath();
                assertEquals(404, reply.status(), what + " on the management port: " + reply);
                assertEquals("not-found", reply.problemType(), what);
                assertFalse(reply.body().contains("acme") || reply.body().contains("hello\""), what + ": " + reply);
            }
            assertEquals(200, get(port, "/metrics").status(), "/metrics needs no token there");
            assertEquals(200, get(port, "/health/ready").status(), "nor does readiness");
            assertEquals(1, server.call(key, "GET", "/v1/functions", null, null).json().get("functions").size(),
                    "the main port still serves the tenant");
        }
    }

    private SluiceConfig workerConfig(String name, int metricsPort) {
        Map<String, String> settings = new HashMap<>(Map.of("worker-secret", InJvmCluster.SECRET,
                "worker-port", "0", "worker-id", name, "data-dir", dir.resolve(name).toString(), "workers", "2",
                "worker-module-dir", dir.resolve("gateway/modules").toString(),
                "metrics-port", Integer.toString(metricsPort), "shutdown-grace-ms", "30000"));
        return SluiceConfig.defaults().with(settings);
    }

    @Test
    void aWorkerIsStartingUntilAdvertisedThenReadyThenDrainingAsSoonAsItsStopBeginsWhileACallRuns()
            throws Exception {
        int port = freePort();
        CountDownLatch advertise = new CountDownLatch(1);
        CompletableFuture<WorkerRole> starting = CompletableFuture.supplyAsync(() -> WorkerRole.builder()
                .config(workerConfig("w1", port))
                .registration(address -> {
                    try {
                        assertTrue(advertise.await(60, TimeUnit.SECONDS), "the test never let w1 advertise");
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return () -> { };
                })
                .start());
        // Its ports listen, but it is not advertised yet: alive, not ready.
        Reply notYet = await(port, "/health/ready", r -> true, Duration.ofSeconds(60));
        assertEquals(503, notYet.status(), notYet.toString());
        assertEquals("STARTING", notYet.json().get("status").asText(), notYet.toString());
        assertEquals("UP", get(port, "/health").json().get("status").asText());
        advertise.countDown();
        WorkerRole worker = cluster.closeAtEnd(starting.get(60, TimeUnit.SECONDS));

        Reply ready = get(port, "/health/ready");
        assertEquals(200, ready.status(), ready.toString());
        assertEquals("READY", ready.json().get("status").asText());
        assertEquals("w1", ready.json().get("id").asText());

        TestServer gateway = cluster.gateway(worker.address());
        String key = gateway.tenantWithKey("acme", "{}");
        assertEquals(201, gateway.call(key, "PUT", "/v1/functions/sleepy?timeout-ms=5000",
                TestModules.load("sleep-forever"), "application/wasm").status());
        CompletableFuture<Reply> call = CompletableFuture.supplyAsync(() ->
                gateway.call(key, "POST", "/v1/functions/sleepy/invoke", new byte[0], "text/plain"));
        RemoteDispatchTest.awaitRunning(worker);

        CompletableFuture<Void> stopping = CompletableFuture.runAsync(worker::stop);
        Reply draining = await(port, "/health/ready", r -> r.status() != 200, Duration.ofSeconds(30));
        assertFalse(call.isDone(), "readiness turned while the call still ran: " + draining);
        assertEquals(503, draining.status(), draining.toString());
        assertEquals("DRAINING", draining.json().get("status").asText(), draining.toString());
        assertEquals(200, get(port, "/health").status(), "a draining worker is alive");
        assertFalse(stopping.isDone(), "the stop waits for the running call");

        Reply ended = call.get(60, TimeUnit.SECONDS);
        assertEquals("function-timeout", ended.problemType(), "the call ran to its own end, not cut: " + ended);
        stopping.get(60, TimeUnit.SECONDS);
    }

    @Test
    void aWorkersManagementPortServesHealthWithoutTheSecretAndNeitherItsInternalApiNorTenantRoutes()
            throws Exception {
        int port = freePort();
        WorkerRole worker = cluster.closeAtEnd(WorkerRole.builder().config(workerConfig("w2", port)).start());
        assertEquals(200, get(port, "/health/ready").status(), "no secret needed on the management port");
        assertEquals(401, get(worker.port(), InternalProtocol.HEALTH).status(),
                "the internal port wants the secret: why probes go to the management port");
        assertEquals(200, get(port, "/metrics").status());
        for (String path : List.of(InternalProtocol.HEALTH, "/v1/functions", "/admin/v1/tenants", "/")) {
            Reply reply = send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .header("Sluice-Worker-Secret", InJvmCluster.SECRET).GET());
            assertEquals(404, reply.status(), path + " on a worker's management port: " + reply);
            assertEquals("not-found", reply.problemType(), path);
        }
    }
}
