package dev.sluice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.gateway.TestServer.Reply;
import dev.sluice.scheduler.cluster.WorkerAddress;
import dev.sluice.scheduler.testing.TestModules;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sluice gateway} in front of {@code sluice worker}s, all in this JVM on loopback with real HTTP (h2c between
 * gateway and workers): the output comes back, guest failures settle as in process, and a call moves to another
 * worker only when the first provably never started it.
 */
class RemoteDispatchTest {
    static final String SECRET = InJvmCluster.SECRET;

    @TempDir
    Path dir;

    @RegisterExtension
    final InJvmCluster cluster = new InJvmCluster(() -> dir);

    @Test
    void gatewayWithTwoWorkersDispatchesAndReturnsTheOutput() {
        WorkerRole a = cluster.worker("a", Map.of());
        WorkerRole b = cluster.worker("b", Map.of());
        TestServer gateway = TestServer.start(dir.resolve("gateway"), Map.of("worker-secret", SECRET,
                "worker-addresses", "127.0.0.1:" + a.port() + ",127.0.0.1:" + b.port()),
                config -> GatewayRole.builder(config, Map.of()));
        cluster.closeAtEnd(gateway);
        String key = gateway.tenantWithKey("acme", "{}");
        assertEquals(201, gateway.deploy(key, "hello", TestModules.load("hello")).status());

        List<CompletableFuture<Reply>> calls = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            int n = i;
            calls.add(CompletableFuture.supplyAsync(() -> gateway.call(key, "POST",
                    "/v1/functions/hello/invoke?n=" + n, ("stdin " + n).getBytes(StandardCharsets.UTF_8),
                    "text/plain")));
        }
        for (int i = 0; i < calls.size(); i++) {
            Reply reply = calls.get(i).join();
            assertEquals(200, reply.status(), reply.toString());
            assertEquals("hello n=" + i + "\nstdin " + i, reply.body(), "query and stdin crossed the hop");
            assertTrue(Long.parseLong(reply.header("Sluice-Fuel-Used").orElseThrow()) > 0, "fuel is reported");
        }
        assertEquals(6, a.started() + b.started(), "every call ran exactly once, on a worker");
    }

    @Test
    void guestFailuresComeBackWithTheirKindAndFuelAsInProcess() {
        WorkerRole a = cluster.worker("a", Map.of());
        TestServer gateway = cluster.gateway(a.address());
        String key = gateway.tenantWithKey("acme", "{}");
        assertEquals(201, gateway.deploy(key, "trap", TestModules.load("trap")).status());
        assertEquals(201, gateway.call(key, "PUT", "/v1/functions/sleepy?timeout-ms=300",
                TestModules.load("sleep-forever"), "application/wasm").status());

        Reply trapped = gateway.call(key, "POST", "/v1/functions/trap/invoke", new byte[0], "text/plain");
        assertEquals(502, trapped.status(), trapped.toString());
        assertEquals("function-trapped", trapped.problemType());
        assertTrue(trapped.json().has("fuel-used"), trapped.toString());

        Reply timedOut = gateway.call(key, "POST", "/v1/functions/sleepy/invoke", new byte[0], "text/plain");
        assertEquals(504, timedOut.status(), timedOut.toString());
        assertEquals("function-timeout", timedOut.problemType());
        assertEquals(List.of("a:succeeded", "a:succeeded"), cluster.balancer().outcomes,
                "a guest's failure is the worker's success");
    }

    @Test
    void aDrainingWorkerRefusesAndTheCallRunsOnceOnTheOther() {
        WorkerRole a = cluster.worker("a", Map.of());
        WorkerRole b = cluster.worker("b", Map.of());
        TestServer gateway = cluster.gateway(a.address(), b.address());
        String key = gateway.tenantWithKey("acme", "{}");
        assertEquals(201, gateway.deploy(key, "hello", TestModules.load("hello")).status());
        a.drain();

        Reply reply = gateway.call(key, "POST", "/v1/functions/hello/invoke", new byte[0], "text/plain");
        assertEquals(200, reply.status(), reply.toString());
        assertEquals(0, a.started(), "the draining worker started nothing");
        assertEquals(1, b.started());
        assertEquals(List.of("a:refused", "b:succeeded"), cluster.balancer().outcomes,
                "draining is a refusal, not a failure");
    }

    @Test
    void aFullWorkerRefusesAtOnceAndTheCallRunsOnceOnTheOther() throws Exception {
        WorkerRole a = cluster.worker("a", Map.of("worker-max-concurrency", "1"));
        WorkerRole b = cluster.worker("b", Map.of());
        TestServer gateway = cluster.gateway(a.address(), b.address());
        String key = gateway.tenantWithKey("acme", "{}");
        assertEquals(201, gateway.call(key, "PUT", "/v1/functions/sleepy?timeout-ms=3000",
                TestModules.load("sleep-forever"), "application/wasm").status());
        assertEquals(201, gateway.deploy(key, "hello", TestModules.load("hello")).status());

        CompletableFuture<Reply> holding = CompletableFuture.supplyAsync(() ->
                gateway.call(key, "POST", "/v1/functions/sleepy/invoke", new byte[0], "text/plain"));
        awaitRunning(a);
        Reply second = gateway.call(key, "POST", "/v1/functions/hello/invoke", new byte[0], "text/plain");
        assertEquals(200, second.status(), second.toString());
        assertEquals(1, a.started(), "only the holding call ran on the full worker");
        assertEquals(1, b.started(), "the refused call ran on the other worker, once");
        assertTrue(cluster.balancer().outcomes.contains("a:refused"), "full is a refusal (no ejection): "
                + cluster.balancer().outcomes);
        assertEquals(504, holding.get(30, TimeUnit.SECONDS).status());
    }

    @Test
    void anUnreachableWorkerIsSkippedAndCallsGoToTheOthers() throws IOException {
        int dead;
        try (ServerSocket socket = new ServerSocket(0)) {
            dead = socket.getLocalPort(); // free now, and nothing listens on it
        }
        WorkerRole b = cluster.worker("b", Map.of());
        TestServer gateway = cluster.gateway(new WorkerAddress("dead", "127.0.0.1", dead, 4), b.address());
        String key = gateway.tenantWithKey("acme", "{}");
        assertEquals(201, gateway.deploy(key, "hello", TestModules.load("hello")).status());

        for (int i = 0; i < 3; i++) {
            Reply reply = gateway.call(key, "POST", "/v1/functions/hello/invoke", new byte[0], "text/plain");
            assertEquals(200, reply.status(), reply.toString());
        }
        assertEquals(3, b.started());
        assertEquals(List.of("dead:not-started", "b:succeeded"), cluster.balancer().outcomes.subList(0, 2));
    }

    @Test
    void aWorkerThatStallsPastTheTimeoutGives504AndTheCallIsNotRunElsewhere() throws Exception {
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicInteger received = new java.util.concurrent.atomic.AtomicInteger();
        // Accepts connections and the call, then never answers: alive to a liveness probe, stalled to the call.
        io.helidon.webserver.WebServer stalled = io.helidon.webserver.WebServer.builder().host("127.0.0.1").port(0)
                .routing(r -> r.post("/internal/v1/invoke", (req, res) -> {
                    received.incrementAndGet();
                    release.await(60, TimeUnit.SECONDS);
                    res.status(500).send();
                })).build().start();
        cluster.closeAtEnd(stalled::stop);
        cluster.closeAtEnd(release::countDown);
        WorkerRole b = cluster.worker("b", Map.of());
        TestServer gateway = cluster.gateway(new WorkerAddress("stalled", "127.0.0.1", stalled.port(), 4),
                b.address());
        String key = gateway.tenantWithKey("acme", "{}");
        assertEquals(201, gateway.call(key, "PUT", "/v1/functions/hello?timeout-ms=300",
                TestModules.load("hello"), "application/wasm").status());

        Reply reply = gateway.call(key, "POST", "/v1/functions/hello/invoke", new byte[0], "text/plain");
        assertEquals(504, reply.status(), reply.toString());
        assertEquals("function-timeout", reply.problemType());
        assertEquals(1, received.get(), "the stalled worker got the call once");
        assertEquals(0, b.started(), "and it was not run a second time elsewhere");
        assertEquals(List.of("stalled:lost"), cluster.balancer().outcomes);
    }

    @Test
    void aWorkerGivesItsSlotBackBeforeAnsweringSoTheGatewaysNextCallIsNeverRefused() {
        WorkerRole a = cluster.worker("a", Map.of("worker-max-concurrency", "1"));
        TestServer gateway = TestServer.start(dir.resolve("gateway"), Map.of("worker-secret", SECRET,
                "worker-addresses", "127.0.0.1:" + a.port(), "worker-max-concurrency", "1"),
                config -> GatewayRole.builder(config, Map.of()));
        cluster.closeAtEnd(gateway);
        String key = gateway.tenantWithKey("acme", "{}");
        assertEquals(201, gateway.deploy(key, "hello", TestModules.load("hello")).status());
        // Two clients on a worker with one slot: the gateway's balancer queues one while the other runs, and sends
        // it the moment the answer arrives. Had the worker released its slot only after writing the answer, that
        // call would now and then meet a full worker, and with no other worker get 503.
        List<CompletableFuture<List<Reply>>> clients = new ArrayList<>();
        for (int c = 0; c < 2; c++) {
            clients.add(CompletableFuture.supplyAsync(() -> {
                List<Reply> refused = new ArrayList<>();
                for (int i = 0; i < 150; i++) {
                    Reply reply = gateway.call(key, "POST", "/v1/functions/hello/invoke", new byte[0], "text/plain");
                    if (reply.status() != 200) {
                        refused.add(reply);
                    }
                }
                return refused;
            }));
        }
        for (CompletableFuture<List<Reply>> client : clients) {
            assertEquals(List.of(), client.join(), "every call answered 200");
        }
        assertEquals(300, a.started());
    }

    @Test
    void theHopDoesNotWaitOnDelayedAcks() {
        WorkerRole a = cluster.worker("a", Map.of());
        TestServer gateway = cluster.gateway(a.address());
        String key = gateway.tenantWithKey("acme", "{}");
        assertEquals(201, gateway.deploy(key, "hello", TestModules.load("hello")).status());
        for (int i = 0; i < 20; i++) { // warm-up: connections, JIT
            assertEquals(200, gateway.call(key, "POST", "/v1/functions/hello/invoke", new byte[0], "text/plain")
                    .status());
        }
        long[] nanos = new long[41];
        for (int i = 0; i < nanos.length; i++) {
            long start = System.nanoTime();
            assertEquals(200, gateway.call(key, "POST", "/v1/functions/hello/invoke", new byte[10], "text/plain")
                    .status());
            nanos[i] = System.nanoTime() - start;
        }
        java.util.Arrays.sort(nanos);
        // Without TCP_NODELAY on the worker connections every call waited ~40 ms for a delayed ACK; with it the
        // median is a few ms even on a busy machine. 30 ms leaves room for load and still catches the regression.
        assertTrue(nanos[nanos.length / 2] < TimeUnit.MILLISECONDS.toNanos(30),
                "median " + nanos[nanos.length / 2] / 1_000 + " us");
    }

    @Test
    void oneTenantMayUseEveryThreadOfAWorkerSharingIsTheGatewaysBusiness() {
        // workers = 2: under serve, one tenant would be capped at max(1, 2 / 4) = 1 of them.
        WorkerRole a = cluster.worker("a", Map.of());
        TestServer gateway = cluster.gateway(a.address());
        String key = gateway.tenantWithKey("acme", "{}");
        assertEquals(201, gateway.call(key, "PUT", "/v1/functions/sleepy?timeout-ms=1500",
                TestModules.load("sleep-forever"), "application/wasm").status());

        List<CompletableFuture<Reply>> calls = List.of(
                CompletableFuture.supplyAsync(() -> gateway.call(key, "POST", "/v1/functions/sleepy/invoke",
                        new byte[0], "text/plain")),
                CompletableFuture.supplyAsync(() -> gateway.call(key, "POST", "/v1/functions/sleepy/invoke",
                        new byte[0], "text/plain")));
        for (CompletableFuture<Reply> call : calls) {
            Reply reply = call.join();
            assertEquals(504, reply.status(), "both ran side by side to their timeout, none queued: " + reply);
        }
        assertEquals(2, a.started());
    }

    static void awaitRunning(WorkerRole worker) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (worker.started() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(10); // the call crosses real HTTP and threads: no clock to advance
        }
        assertEquals(1, worker.started(), "the call never reached the worker");
    }
}
