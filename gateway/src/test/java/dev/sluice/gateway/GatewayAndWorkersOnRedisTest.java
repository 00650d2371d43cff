package dev.sluice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.scheduler.testing.TestModules;
import dev.sluice.tenancy.testing.RedisTestServer;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The distributed set-up as an operator starts it: {@code ./sluice worker} twice and {@code ./sluice gateway}, each
 * its own process, on one real Redis that holds the tenants, the functions (metadata and module bytes) and the
 * workers' heartbeats. Nothing is configured between them but the Redis URI and the worker secret: the gateway finds
 * the workers through Redis, the workers fetch the module by digest from Redis, and a worker stopped with SIGTERM
 * leaves the gateway's directory before it goes, so later calls run on the other one.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class GatewayAndWorkersOnRedisTest {
    private static final String SECRET = RemoteDispatchTest.SECRET;
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    RedisTestServer redis;
    private final List<GatewayProcess> processes = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();

    @AfterEach
    void stopAll() {
        processes.reversed().forEach(GatewayProcess::close);
        if (redis != null) {
            redis.close();
        }
    }

    private Map<String, String> shared() {
        return new HashMap<>(Map.of("worker-secret", SECRET, "worker-discovery", "redis",
                "tenancy-store", "redis", "quota-store", "redis", "redis-uri", redis.uri(),
                "worker-heartbeat-ms", "200"));
    }

    private GatewayProcess start(String role, String name, Map<String, String> extra) {
        Map<String, String> settings = shared();
        settings.putAll(extra);
        GatewayProcess process = GatewayProcess.launch(role, name, dir.resolve(name), settings,
                GatewayProcess.SMALL_JVM);
        processes.add(process);
        return process;
    }

    private JsonNode health(GatewayProcess worker) throws Exception {
        return JSON.readTree(worker.workerHealth(http, SECRET).body());
    }

    private HttpResponse<String> send(GatewayProcess gateway, String method, String path, String bearer,
                                      String contentType, byte[] body) throws Exception {
        return http.send(HttpRequest.newBuilder(gateway.uri(path)).timeout(Duration.ofSeconds(60))
                .header("Authorization", "Bearer " + bearer).header("Content-Type", contentType)
                .method(method, HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aGatewayFindsItsWorkersThroughRedisAndTheyRunWhatWasDeployedThroughIt() throws Exception {
        redis = RedisTestServer.start();
        GatewayProcess a = start("worker", "worker-a", Map.of("worker-port", "0", "worker-id", "a", "workers", "2"));
        GatewayProcess b = start("worker", "worker-b", Map.of("worker-port", "0", "worker-id", "b", "workers", "2"));
        GatewayProcess gateway = start("gateway", "gateway", Map.of("port", "0"));
        for (GatewayProcess process : processes) {
            process.awaitPort(Duration.ofSeconds(180));
        }
        String admin = GatewayProcess.ADMIN_TOKEN;
        assertEquals(201, send(gateway, "PUT", "/admin/v1/tenants/acme", admin, "application/json",
                "{}".getBytes()).statusCode());
        String key = JSON.readTree(send(gateway, "POST", "/admin/v1/tenants/acme/keys", admin, "application/json",
                "{\"name\":\"k\"}".getBytes()).body()).get("key").asText();
        HttpResponse<String> deployed = send(gateway, "PUT", "/v1/functions/hello", key, "application/wasm",
                TestModules.load("hello"));
        assertEquals(201, deployed.statusCode(), deployed.body());

        // The gateway reads the workers' heartbeats every 250 ms: until its first read after they registered it
        // knows no worker, and says so with 503 overloaded (nothing runs, so nothing is counted).
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        HttpResponse<String> first;
        while ((first = send(gateway, "POST", "/v1/functions/hello/invoke?n=0", key, "text/plain",
                "in0".getBytes())).statusCode() == 503 && System.nanoTime() < deadline) {
            assertTrue(first.body().contains("overloaded"), first.body());
            Thread.sleep(100);
        }
        assertEquals(200, first.statusCode(), first.body() + "\n" + gateway.output());
        int calls = 6;
        for (int i = 1; i < calls; i++) {
            HttpResponse<String> reply = send(gateway, "POST", "/v1/functions/hello/invoke?n=" + i, key,
                    "text/plain", ("in" + i).getBytes());
            assertEquals(200, reply.statusCode(), reply.body() + "\n" + gateway.output());
            assertEquals("hello n=" + i + "\nin" + i, reply.body());
        }
        int onA = health(a).path("started").asInt();
        int onB = health(b).path("started").asInt();
        assertEquals(calls, onA + onB, "each call ran once, on a worker process (a: " + onA + ", b: " + onB + ")");

        // SIGTERM deregisters first: the gateway stops picking the worker, and no call is refused for it.
        GatewayProcess stopping = onA >= onB ? a : b;
        GatewayProcess staying = stopping == a ? b : a;
        int stayingBefore = health(staying).path("started").asInt();
        assertTrue(stopping.terminate(Duration.ofSeconds(60)), stopping.name + " did not exit:\n"
                + stopping.output());
        for (int i = 0; i < calls; i++) {
            HttpResponse<String> reply = send(gateway, "POST", "/v1/functions/hello/invoke", key, "text/plain",
                    new byte[0]);
            assertEquals(200, reply.statusCode(), reply.body() + "\n" + gateway.output());
        }
        assertEquals(stayingBefore + calls, health(staying).path("started").asInt(),
                "after the SIGTERM every call ran on the remaining worker");
        assertTrue(!gateway.errors().contains("SEVERE"), "nothing the provider must act on:\n" + gateway.errors());
    }
}
