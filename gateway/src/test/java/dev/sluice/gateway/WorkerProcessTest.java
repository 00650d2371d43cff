package dev.sluice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.gateway.TestServer.Reply;
import dev.sluice.scheduler.cluster.WorkerAddress;
import dev.sluice.scheduler.testing.TestModules;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A worker as a separate process ({@code sluice worker}) behind an in-JVM gateway, with a second in-JVM worker:
 * what happens to a call when the worker process dies under it (kill -9) or is asked to stop (SIGTERM).
 */
class WorkerProcessTest {
    private static final String SECRET = RemoteDispatchTest.SECRET;
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @RegisterExtension
    final InJvmCluster cluster = new InJvmCluster(() -> dir);
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private GatewayProcess workerProcess(String name, Map<String, String> extra) {
        Map<String, String> settings = new HashMap<>(Map.of("worker-secret", SECRET, "worker-port", "0",
                "worker-id", name, "workers", "2", "worker-module-dir", dir.resolve("gateway/modules").toString()));
        settings.putAll(extra);
        GatewayProcess process = GatewayProcess.launch("worker", name, dir.resolve(name), settings,
                GatewayProcess.SMALL_JVM);
        cluster.closeAtEnd(process);
        process.awaitPort(Duration.ofSeconds(120));
        return process;
    }

    /** The worker's own count of running invocations, from its authenticated health route. */
    private JsonNode health(GatewayProcess worker) throws Exception {
        return JSON.readTree(worker.workerHealth(http, SECRET).body());
    }

    private void awaitRunning(GatewayProcess worker) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (health(worker).path("running").asInt() == 0) {
            assertTrue(System.nanoTime() < deadline, "the call never started on " + worker.name);
            Thread.sleep(20); // a real process on real time: nothing to advance
        }
    }

    private HttpResponse<String> send(GatewayProcess gateway, String method, String path, String bearer,
                                      String contentType, byte[] body) throws Exception {
        return http.send(HttpRequest.newBuilder(gateway.uri(path)).timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + bearer).header("Content-Type", contentType)
                .method(method, HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void theSameJarRunsAsAGatewayProcessInFrontOfAWorkerProcess() throws Exception {
        GatewayProcess worker = workerProcess("worker", Map.of());
        GatewayProcess gateway = GatewayProcess.launch("gateway", "gateway", dir.resolve("gateway"),
                Map.of("worker-secret", SECRET, "port", "0", "data-dir", dir.resolve("gateway").toString(),
                        "worker-addresses", "127.0.0.1:" + worker.port()), GatewayProcess.SMALL_JVM);
        cluster.closeAtEnd(gateway);
        gateway.awaitPort(Duration.ofSeconds(120));
        String admin = GatewayProcess.ADMIN_TOKEN;
        assertEquals(201, send(gateway, "PUT", "/admin/v1/tenants/acme", admin, "application/json",
                "{}".getBytes()).statusCode());
        String key = JSON.readTree(send(gateway, "POST", "/admin/v1/tenants/acme/keys", admin, "application/json",
                "{\"name\":\"k\"}".getBytes()).body()).get("key").asText();
        assertEquals(201, send(gateway, "PUT", "/v1/functions/hello", key, "application/wasm",
                TestModules.load("hello")).statusCode());

        HttpResponse<String> reply = send(gateway, "POST", "/v1/functions/hello/invoke?via=worker", key,
                "text/plain", "body".getBytes());
        assertEquals(200, reply.statusCode(), reply.body());
        assertEquals("hello via=worker\nbody", reply.body());
        assertEquals(1, health(worker).path("started").asInt(), "it ran on the worker process");
    }

    @Test
    void aGatewayOrWorkerWithoutTheSecretRefusesToStartNamingTheKey() {
        for (String role : List.of("gateway", "worker")) {
            GatewayProcess process = GatewayProcess.launch(role, role + "-nosecret", dir.resolve(role),
                    Map.of("port", "0", "worker-port", "0", "worker-addresses", "127.0.0.1:1",
                            "worker-module-dir", dir.toString()), GatewayProcess.SMALL_JVM);
            cluster.closeAtEnd(process);
            assertTrue(process.awaitExit(Duration.ofSeconds(120)), role + " did not exit");
            assertEquals(1, process.exitValue(), process.output());
            assertTrue(process.errors().contains("sluice: cannot start: worker-secret: missing"), process.output());
        }
    }

    /** Until the worker says it is draining, or no longer answers at all. */
    private void awaitDraining(GatewayProcess worker) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            try {
                if (health(worker).path("status").asText().equals("draining")) {
                    return;
                }
            } catch (java.io.UncheckedIOException gone) {
                return;
            }
            assertTrue(System.nanoTime() < deadline, worker.name + " never began to drain");
            Thread.sleep(20); // the signal reaches another process in real time
        }
    }

    /** {@code sleep} with its 200 ms poll_oneoff sleep patched to 3 s (same LEB128 length). */
    private static byte[] sleepsThreeSeconds() {
        byte[] module = TestModules.load("sleep");
        byte[] from = HexFormat.of().parseHex("8084afdf00"); // 200_000_000 ns
        byte[] to = HexFormat.of().parseHex("80bcc1960b"); // 3_000_000_000 ns
        for (int i = 0; i + from.length <= module.length; i++) {
            if (java.util.Arrays.equals(module, i, i + from.length, from, 0, from.length)) {
                System.arraycopy(to, 0, module, i, to.length);
                return module;
            }
        }
        throw new AssertionError("sleep.wasm no longer holds its 200 ms constant");
    }

    @Test
    void aWorkerKilledMidCallGives502WorkerLostAndTheCallIsNotRunAgain() throws Exception {
        GatewayProcess doomed = workerProcess("doomed", Map.of());
        WorkerRole survivor = cluster.worker("survivor");
        TestServer gateway = cluster.gateway(new WorkerAddress("doomed", "127.0.0.1", doomed.port(), 4),
                survivor.address());
        String key = gateway.tenantWithKey("acme", "{}");
        assertEquals(201, gateway.call(key, "PUT", "/v1/functions/sleepy?timeout-ms=9000",
                TestModules.load("sleep-forever"), "application/wasm").status());
        assertEquals(201, gateway.deploy(key, "hello", TestModules.load("hello")).status());

        CompletableFuture<Reply> call = CompletableFuture.supplyAsync(() ->
                gateway.call(key, "POST", "/v1/functions/sleepy/invoke", new byte[0], "text/plain"));
        awaitRunning(doomed);
        assertTrue(doomed.kill(Duration.ofSeconds(30)), "kill -9");

        Reply lost = call.get(60, TimeUnit.SECONDS);
        assertEquals(502, lost.status(), lost.toString());
        assertEquals("worker-lost", lost.problemType());
        assertEquals(0, survivor.started(), "the lost call was not run a second time");
        assertEquals(List.of("doomed:lost"), cluster.balancer().outcomes);
        JsonNode usage = gateway.call(key, "GET", "/v1/usage", null, null).json().get("total");
        assertEquals(List.of(1L, 1L, 0L), List.of(usage.get("invocations").asLong(), usage.get("errors").asLong(),
                usage.get("fuel").asLong()), "the lost call may have run: counted as failed, no fuel charged");

        Reply next = gateway.call(key, "POST", "/v1/functions/hello/invoke", new byte[0], "text/plain");
        assertEquals(200, next.status(), "a dead worker refuses connections: the next call goes elsewhere");
        assertEquals(1, survivor.started());
        assertEquals(List.of("doomed:lost", "doomed:not-started", "survivor:succeeded"), cluster.balancer().outcomes);
    }

    @Test
    void sigtermLetsTheRunningCallFinishWhileNewCallsGoToTheOtherWorker() throws Exception {
        GatewayProcess stopping = workerProcess("stopping", Map.of("shutdown-grace-ms", "30000"));
        WorkerRole other = cluster.worker("other");
        TestServer gateway = cluster.gateway(new WorkerAddress("stopping", "127.0.0.1", stopping.port(), 4),
                other.address());
        String key = gateway.tenantWithKey("acme", "{}");
        assertEquals(201, gateway.deploy(key, "slow", sleepsThreeSeconds()).status());
        assertEquals(201, gateway.deploy(key, "hello", TestModules.load("hello")).status());

        CompletableFuture<Reply> running = CompletableFuture.supplyAsync(() ->
                gateway.call(key, "POST", "/v1/functions/slow/invoke", new byte[0], "text/plain"));
        awaitRunning(stopping);
        CompletableFuture<Boolean> exited = CompletableFuture.supplyAsync(() ->
                stopping.terminate(Duration.ofSeconds(60)));

        awaitDraining(stopping);
        // While it drains (or once it is gone), new calls never start there.
        Reply fresh = gateway.call(key, "POST", "/v1/functions/hello/invoke", new byte[0], "text/plain");
        assertEquals(200, fresh.status(), fresh.toString());
        assertEquals(1, other.started(), "the new call ran on the other worker");

        Reply finished = running.get(60, TimeUnit.SECONDS);
        assertEquals(200, finished.status(), "the running call finished within the grace: " + finished);
        assertEquals("slept\n", finished.body());
        assertTrue(exited.get(60, TimeUnit.SECONDS), "the worker exited after draining");
        assertFalse(stopping.output().contains("grace period over"), stopping.output());
        assertTrue(cluster.balancer().outcomes.contains("stopping:succeeded"), cluster.balancer().outcomes.toString());
        assertFalse(cluster.balancer().outcomes.contains("stopping:lost"), cluster.balancer().outcomes.toString());
    }
}
