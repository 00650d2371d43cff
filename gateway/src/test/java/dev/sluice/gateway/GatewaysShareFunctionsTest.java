package dev.sluice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.scheduler.testing.TestModules;
import dev.sluice.tenancy.testing.RedisTestServer;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two gateway processes and one worker process on one real Redis, as a provider runs them: a function deployed
 * through gateway A is invocable through gateway B (the issue asks for "within a second"; the test prints how long it
 * took and allows a loaded machine 15 s), and a tenant deleted through B is gone on A — its key no longer opens
 * anything there, the admin API no longer knows it, and a new tenant of the same name inherits none of it.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class GatewaysShareFunctionsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SECRET = "share-test-worker-secret-0123456789abcdef";

    @TempDir
    Path dir;
    @RegisterExtension
    final Processes processes = new Processes();

    @Test
    void aFunctionDeployedThroughOneGatewayRunsThroughTheOther() throws Exception {
        List<GatewayProcess> ab = gateways();
        GatewayProcess a = ab.get(0);
        GatewayProcess b = ab.get(1);
        String key = tenantWithHello(a);
        long deployed = System.nanoTime();
        HttpResponse<String> onB = until(() -> invoke(b, key), reply -> reply.statusCode() != 404);
        long seenMillis = (System.nanoTime() - deployed) / 1_000_000;
        assertEquals(200, onB.statusCode(), onB.body() + "\n" + b.output());
        assertEquals("hello from=b\n", onB.body());
        System.out.printf("gateways share functions: deployed through A, invocable through B after %d ms%n",
                seenMillis);
        assertTrue(seenMillis < 15_000, seenMillis + " ms");
    }

    @Test
    void aTenantDeletedThroughOneGatewayIsGoneOnTheOtherAndItsNameStartsAfresh() throws Exception {
        List<GatewayProcess> ab = gateways();
        GatewayProcess a = ab.get(0);
        GatewayProcess b = ab.get(1);
        String key = tenantWithHello(a);
        assertEquals(200, invoke(a, key).statusCode(), "runs through A before the delete");

        expect(204, b.admin("/admin/v1/tenants/acme").DELETE());
        long deleted = System.nanoTime();
        HttpResponse<String> onA = until(() -> invoke(a, key), reply -> reply.statusCode() == 401);
        long goneMillis = (System.nanoTime() - deleted) / 1_000_000;
        assertEquals(401, onA.statusCode(), "the deleted tenant's key opens nothing on A: " + onA.body());
        assertEquals(404, send(a.admin("/admin/v1/tenants/acme").GET()).statusCode(), "A no longer knows acme");

        // A new tenant of the same name, made through A, inherits nothing: not the old function, not the old key.
        String fresh = tenantWithKey(a);
        HttpResponse<String> old = invoke(a, fresh);
        assertEquals(404, old.statusCode(), "the new acme has no hello: " + old.body());
        assertEquals(401, invoke(a, key).statusCode(), "the old key stays dead");
        System.out.printf("gateways share tenants: tenant deleted through B, refused on A after %d ms%n", goneMillis);
        assertTrue(goneMillis < 15_000, goneMillis + " ms");
    }

    /** One worker process and gateways A and B on one Redis, all ready. */
    List<GatewayProcess> gateways() throws InterruptedException {
        RedisTestServer redis = processes.redis();
        Map<String, String> stores = Map.of("tenancy-store", "redis", "quota-store", "redis", "redis-uri",
                redis.uri());
        Map<String, String> workerSettings = new LinkedHashMap<>(stores);
        workerSettings.putAll(Map.of("worker-id", "worker-1", "worker-port", "0", "workers", "2",
                "worker-secret", SECRET));
        GatewayProcess worker = processes.start(GatewayProcess.launch("worker", "worker-1",
                dir.resolve("worker-1"), workerSettings, GatewayProcess.SMALL_JVM));
        worker.awaitPort(Duration.ofSeconds(120));
        List<GatewayProcess> ab = List.of(gateway("a", stores, worker), gateway("b", stores, worker));
        for (GatewayProcess gateway : ab) {
            gateway.awaitPort(Duration.ofSeconds(120));
            gateway.awaitReady(processes.http, Duration.ofSeconds(60));
        }
        return ab;
    }

    /** Tenant acme made through {@code gateway}, with a key; polling must not spend its rate quota. */
    String tenantWithKey(GatewayProcess gateway) throws IOException {
        expect(201, gateway.admin("/admin/v1/tenants/acme").PUT(HttpRequest.BodyPublishers.ofString(
                "{\"requests-per-second\": 100000, \"burst\": 100000}")));
        return JSON.readTree(expect(201, gateway.admin("/admin/v1/tenants/acme/keys")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\": \"ci\"}")))).get("key").asText();
    }

    /** {@link #tenantWithKey} plus {@code hello} deployed through {@code gateway}; returns the key. */
    String tenantWithHello(GatewayProcess gateway) throws IOException {
        String key = tenantWithKey(gateway);
        expect(201, HttpRequest.newBuilder(gateway.uri("/v1/functions/hello"))
                .header("Authorization", "Bearer " + key).header("Content-Type", "application/wasm")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(TestModules.load("hello"))));
        return key;
    }

    GatewayProcess gateway(String name, Map<String, String> stores, GatewayProcess worker) {
        Map<String, String> settings = new LinkedHashMap<>(stores);
        settings.putAll(Map.of("port", "0", "workers", "2", "quota-replicas", "2", "worker-secret", SECRET,
                "worker-discovery", "static", "worker-addresses", "127.0.0.1:" + worker.port()));
        return processes.start(GatewayProcess.launch("gateway", name, dir.resolve(name), settings,
                GatewayProcess.SMALL_JVM));
    }

    HttpResponse<String> invoke(GatewayProcess gateway, String key) {
        return send(HttpRequest.newBuilder(gateway.uri("/v1/functions/hello/invoke?from=" + gateway.name))
                .header("Authorization", "Bearer " + key).GET());
    }

    /** Polls another process's view until it turns; the last answer after at most 15 s. */
    static HttpResponse<String> until(java.util.function.Supplier<HttpResponse<String>> ask,
                                      Predicate<HttpResponse<String>> turned) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        HttpResponse<String> reply;
        while (!turned.test(reply = ask.get()) && System.nanoTime() < deadline) {
            Thread.sleep(20); // another process converges in real time
        }
        return reply;
    }

    String expect(int status, HttpRequest.Builder request) {
        HttpResponse<String> reply = send(request);
        assertEquals(status, reply.statusCode(), reply.body());
        return reply.body();
    }

    HttpResponse<String> send(HttpRequest.Builder request) {
        return GatewayProcess.send(processes.http, request.timeout(Duration.ofSeconds(30)));
    }
}
