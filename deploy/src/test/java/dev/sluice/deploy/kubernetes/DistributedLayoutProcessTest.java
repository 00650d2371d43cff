package dev.sluice.deploy.kubernetes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.deploy.support.SluiceProcess;
import dev.sluice.tenancy.testing.RedisTestServer;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The distributed layout's configuration, end to end, on this machine: a worker started from the distributed
 * layout's worker.conf and a gateway from the dev layout's gateway.conf (the distributed one without Vault, which
 * {@link SluiceConfTest} checks; no Vault runs here), each changed only in {@link LocalPod#LOCAL_KEYS} (addresses,
 * ports, data-dir, Redis's address, and {@code worker-dns-name = localhost}: the gateway discovers the worker through
 * DNS as it does the headless Service's A records), with their secrets from the environment as the Secret gives
 * them, and one real Redis. Their probes answer; a tenant the admin creates through the gateway deploys a committed
 * example module and invokes it, and the call runs on the worker; once the worker has stopped on SIGTERM the
 * gateway's next call fails at once with a problem, rather than hanging.
 *
 * <p>One worker: DNS discovery gives every A record the one {@code worker-port}, and {@code localhost} has one
 * address here. The tests share the processes and run in order, the one that stops the worker last.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DistributedLayoutProcessTest {
    private static final String WORKER_SECRET = "deploy-distributed-worker-secret-0123456789";
    private static final String ADMIN_TOKEN = "deploy-distributed-admin-token";
    private static final ObjectMapper JSON = new ObjectMapper();
    /** A committed example (examples/README.md): a WASI command answering "hello NAME\nyou sent N bytes\n". */
    private static final Path HELLO = Path.of("..", "examples", "rust", "hello.wasm");

    @TempDir
    static Path dir;
    private static RedisTestServer redis;
    private static SluiceProcess worker;
    private static SluiceProcess gateway;
    private static Deployment workerPod;
    private static Deployment gatewayPod;
    private static Map<String, Integer> workerPorts;
    private static Map<String, Integer> gatewayPorts;

    @BeforeAll
    static void startAWorkerAndAGatewayFromTheLayoutsConfiguration() {
        Layout distributed = Layout.of("distributed");
        Layout dev = Layout.of("dev");
        workerPod = distributed.deployment("sluice-worker");
        gatewayPod = dev.deployment("sluice-gateway");
        assertEquals(LocalPod.probes(Layout.sluiceContainer(distributed.deployment("sluice-gateway"))),
                LocalPod.probes(Layout.sluiceContainer(gatewayPod)),
                "the dev gateway's probes are the distributed ones");
        redis = RedisTestServer.start();
        workerPorts = Map.of("internal", SluiceProcess.freePort(), "metrics", SluiceProcess.freePort());
        Path workerConf = LocalPod.sluiceConf(distributed, workerPod, dir, "worker", Map.of("worker-host",
                "127.0.0.1", "worker-port", workerPorts.get("internal").toString(), "metrics-host", "127.0.0.1",
                "metrics-port", workerPorts.get("metrics").toString(), "redis-uri", redis.uri()));
        gatewayPorts = Map.of("http", SluiceProcess.freePort(), "metrics", SluiceProcess.freePort());
        Path gatewayConf = LocalPod.sluiceConf(dev, gatewayPod, dir, "gateway", Map.of("host", "127.0.0.1",
                "port", gatewayPorts.get("http").toString(), "metrics-host", "127.0.0.1",
                "metrics-port", gatewayPorts.get("metrics").toString(), "redis-uri", redis.uri(),
                "worker-dns-name", "localhost", "worker-port", workerPorts.get("internal").toString()));
        // What the Deployments take from the Secret sluice-secrets (workers: the worker secret alone; Redis's
        // address is in the file here, as SLUICE_REDIS_URI would give it).
        worker = SluiceProcess.jar("worker", workerConf, Map.of("SLUICE_WORKER_SECRET", WORKER_SECRET));
        gateway = SluiceProcess.jar("gateway", gatewayConf, Map.of("SLUICE_WORKER_SECRET", WORKER_SECRET,
                "SLUICE_ADMIN_TOKEN", ADMIN_TOKEN));
        assertEquals(workerPorts.get("internal"), worker.awaitServing(LocalPod.START), "the worker's internal port");
        assertEquals(gatewayPorts.get("http"), gateway.awaitServing(LocalPod.START), "the gateway's port");
    }

    @AfterAll
    static void stop() throws InterruptedException {
        for (SluiceProcess process : new SluiceProcess[] {gateway, worker}) {
            if (process != null) {
                process.close();
            }
        }
        if (redis != null) {
            redis.close();
        }
    }

    @Test
    @Order(1)
    void theWorkerAndTheGatewayAnswerEveryProbeOfTheirDeployments() throws Exception {
        LocalPod.assertProbesAnswer("dev sluice-gateway", Layout.sluiceContainer(gatewayPod), gatewayPorts, gateway);
        LocalPod.assertProbesAnswer("distributed sluice-worker", Layout.sluiceContainer(workerPod), workerPorts,
                worker);
    }

    @Test
    @Order(2)
    void aTenantTheAdminCreatesThroughTheGatewayDeploysAFunctionThatRunsOnTheWorker() throws Exception {
        String key = tenantWithHello("acme");
        long before = workerStarted();
        HttpResponse<String> reply = awaitInvocation(key, "?name=kubernetes", "abc");
        assertEquals(200, reply.statusCode(), "POST /v1/functions/hello/invoke: " + reply.body() + "\n"
                + gateway.output());
        assertEquals("hello kubernetes\nyou sent 3 bytes\n", reply.body(), "the example's answer");
        assertEquals(before + 1, workerStarted(), "the worker's count of the invocations it started (GET "
                + "/internal/v1/health): the call ran there\n" + worker.output());
        String scrape = SluiceProcess.get(gatewayPorts.get("metrics"), "/metrics").body();
        assertTrue(scrape.lines().anyMatch(l -> l.startsWith("sluice_invocations_total{") && l.contains("acme")),
                "the gateway's scrape counts the tenant's invocation (sluice_invocations_total)");
        assertFalse(scrape.contains("sluice_worker_threads_busy"),
                "the gateway runs no guest: no worker thread pool in its scrape");
    }

    /**
     * SIGTERM to the only worker, as a scale-down or a rolling update sends it: the worker drains and exits; the
     * gateway stays up, and its next call for the tenant is answered at once (no hang until a timeout) with a 5xx
     * {@code application/problem+json} naming the failure.
     */
    @Test
    @Order(3)
    void onceTheOnlyWorkerStopsOnSigtermTheGatewaysNextCallFailsAtOnceWithAProblem() throws Exception {
        String key = tenantWithHello("globex");
        assertEquals(200, awaitInvocation(key, "", "").statusCode(), "a call before the worker stops");
        long grace = workerPod.getSpec().getTemplate().getSpec().getTerminationGracePeriodSeconds();
        assertTrue(worker.terminate(Duration.ofSeconds(grace)), "the worker did not exit within "
                + "terminationGracePeriodSeconds (" + grace + " s) of SIGTERM\n" + worker.output());

        long started = System.nanoTime();
        HttpResponse<String> reply = invoke(key, "", "");
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        System.out.printf("distributed: the call after the worker stopped: %d %s in %d ms%n", reply.statusCode(),
                reply.body(), took.toMillis());
        assertTrue(reply.statusCode() >= 500 && reply.statusCode() < 600, "the call without a worker: "
                + reply.statusCode() + " " + reply.body());
        assertEquals("application/problem+json", reply.headers().firstValue("Content-Type").orElse("(none)")
                .split(";")[0], "the call without a worker: its Content-Type");
        JsonNode problem = JSON.readTree(reply.body());
        assertTrue(problem.path("type").isTextual() && problem.path("title").isTextual()
                && problem.path("status").asInt() == reply.statusCode(), "a problem with type, title and status: "
                + reply.body());
        assertTrue(took.compareTo(Duration.ofSeconds(10)) < 0, "the call without a worker took " + took);
        assertTrue(gateway.alive(), "the gateway outlives its worker\n" + gateway.output());
        assertEquals(200, SluiceProcess.get(gatewayPorts.get("http"), "/health").statusCode(),
                "the gateway's liveness once its worker is gone");
    }

    /** Creates the tenant and a key through the admin API, deploys the example as {@code hello}; the key. */
    private static String tenantWithHello(String tenant) throws IOException {
        HttpResponse<String> created = send("PUT", "/admin/v1/tenants/" + tenant, ADMIN_TOKEN, "application/json",
                "{}".getBytes(StandardCharsets.UTF_8));
        assertEquals(201, created.statusCode(), "PUT /admin/v1/tenants/" + tenant + ": " + created.body());
        HttpResponse<String> issued = send("POST", "/admin/v1/tenants/" + tenant + "/keys", ADMIN_TOKEN,
                "application/json", "{\"name\":\"ci\"}".getBytes(StandardCharsets.UTF_8));
        assertEquals(201, issued.statusCode(), "POST /admin/v1/tenants/" + tenant + "/keys: " + issued.body());
        String key = JSON.readTree(issued.body()).path("key").asText();
        HttpResponse<String> deployed = send("PUT", "/v1/functions/hello", key, "application/wasm",
                Files.readAllBytes(HELLO));
        assertEquals(201, deployed.statusCode(), "PUT /v1/functions/hello: " + deployed.body());
        return key;
    }

    /**
     * Invokes until the answer is not a 503: the gateway learns of the worker by resolving its DNS name every few
     * seconds, so a call just after both start may find none yet.
     */
    private static HttpResponse<String> awaitInvocation(String key, String query, String body) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        HttpResponse<String> reply = invoke(key, query, body);
        while (reply.statusCode() == 503 && System.nanoTime() < deadline) {
            Thread.sleep(250); // separate processes: nothing to wait on but their answers
            reply = invoke(key, query, body);
        }
        return reply;
    }

    private static HttpResponse<String> invoke(String key, String query, String body) throws IOException {
        return send("POST", "/v1/functions/hello/invoke" + query, key, "text/plain",
                body.getBytes(StandardCharsets.UTF_8));
    }

    /** The worker's own count of the invocations it started, from its authenticated internal health route. */
    private static long workerStarted() throws IOException {
        HttpResponse<String> health = SluiceProcess.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + workerPorts.get("internal") + "/internal/v1/health")).header("Sluice-Worker-Secret", WORKER_SECRET));
        assertEquals(200, health.statusCode(), "GET /internal/v1/health on the worker: " + health.body());
        return JSON.readTree(health.body()).path("started").asLong();
    }

    private static HttpResponse<String> send(String method, String path, String bearer, String contentType,
                                             byte[] body) throws IOException {
        return SluiceProcess.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gatewayPorts.get("http")
                        + path)).header("Authorization", "Bearer " + bearer).header("Content-Type", contentType)
                .method(method, HttpRequest.BodyPublishers.ofByteArray(body)));
    }
}
