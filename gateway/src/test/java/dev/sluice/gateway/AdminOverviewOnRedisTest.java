package dev.sluice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.gateway.TestServer.Reply;
import dev.sluice.tenancy.testing.RedisTestServer;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The usage summary where tenants and usage live in Redis (shared by every gateway), and its time with 10,000
 * tenants on both backends, through the real endpoint (printed; quoted in docs/tenancy.md).
 */
class AdminOverviewOnRedisTest {
    @TempDir
    Path dir;
    RedisTestServer redis;
    final List<TestServer> servers = new ArrayList<>();

    @AfterEach
    void stop() {
        servers.forEach(TestServer::close);
        if (redis != null) {
            redis.close();
        }
    }

    private TestServer onRedis(String name) {
        if (redis == null) {
            redis = RedisTestServer.start();
        }
        TestServer server = TestServer.start(dir.resolve(name), Map.of("quota-store", "redis", "tenancy-store",
                "redis", "redis-uri", redis.uri()));
        servers.add(server);
        return server;
    }

    /** Polls until the ledger's background write reached Redis; the last answer after at most 15 s. */
    private static JsonNode until(TestServer server, String path, java.util.function.Predicate<JsonNode> turned)
            throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        JsonNode body;
        while (!turned.test(body = server.admin("GET", path, null).json()) && System.nanoTime() < deadline) {
            Thread.sleep(20); // the ledger writes to Redis in the background, in real time
        }
        return body;
    }

    @Test
    void everyGatewaySummarizesTheUsageAllOfThemRecordedInRedis() throws Exception {
        TestServer first = onRedis("first");
        TestServer second = onRedis("second");
        AdminOverviewTest.usage(first);
        String globex = second.admin("POST", "/admin/v1/tenants/globex/keys", "{\"name\":\"second\"}").json()
                .get("key").asText();
        assertEquals(200, second.call(globex, "POST", "/v1/functions/hello/invoke", new byte[0], "text/plain")
                .status());

        JsonNode summary = until(second, "/admin/v1/usage?days=7", s -> s.get("tenants").size() == 3
                && s.get("tenants").get(1).get("invocations").asLong() == 2
                && s.get("tenants").get(0).get("invocations").asLong() == 3);
        assertEquals(7, summary.get("days").asInt());
        assertEquals("2025-12-26", summary.get("from").asText());
        assertEquals("2026-01-01", summary.get("to").asText());
        assertEquals(List.of("acme", "globex", "idle"), summary.get("tenants").findValuesAsText("tenant"));
        JsonNode acme = summary.get("tenants").get(0);
        assertEquals("pro", acme.get("plan").asText());
        assertEquals(1, acme.get("errors").asLong());
        assertEquals(1, acme.get("throttles").asLong());
        assertEquals(2, summary.get("tenants").get(1).get("invocations").asLong(), "one call on each gateway");
        assertEquals(0, summary.get("tenants").get(2).get("invocations").asLong());
        // serve on Redis compiles in this process too (its ModuleLibrary), so it knows.
        assertTrue(second.call(globex, "GET", "/v1/functions/hello", null, null).json().get("compiled").isBoolean());
        Reply bad = second.admin("GET", "/admin/v1/usage?days=63", null);
        assertEquals("invalid-request", bad.problemType());
    }

    @Test
    void tenThousandTenantsAreSummarizedInBoundedTimeOnBothBackends() throws Exception {
        TestServer local = TestServer.start(dir.resolve("local"));
        servers.add(local);
        measure(local, "local");
        measure(onRedis("redis"), "redis");
    }

    private static void measure(TestServer server, String backend) throws Exception {
        createTenants(server, 10_000);
        for (int days : new int[] {1, 62}) {
            long started = System.nanoTime();
            Reply reply = server.admin("GET", "/admin/v1/usage?days=" + days, null);
            long millis = (System.nanoTime() - started) / 1_000_000;
            assertEquals(200, reply.status());
            System.out.println("GET /admin/v1/usage?days=" + days + ", " + backend + ", 10000 tenants: " + millis
                    + " ms, " + reply.response().body().length + " bytes");
            assertEquals(10_000, reply.json().get("tenants").size());
            // Generous for a shared 2-core machine: the bound is tenants x days reads, in windows, never per request.
            assertTrue(millis < 30_000, millis + " ms");
        }
    }

    /** Creates tenants t00000.. over HTTP, 16 requests at a time. */
    private static void createTenants(TestServer server, int count) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        Semaphore window = new Semaphore(16);
        List<CompletableFuture<HttpResponse<Void>>> puts = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            window.acquire();
            HttpRequest put = HttpRequest.newBuilder(server.uri("/admin/v1/tenants/" + String.format("t%05d", i)))
                    .header("Authorization", "Bearer " + TestServer.ADMIN_TOKEN)
                    .header("Content-Type", "application/json")
                    .PUT(HttpRequest.BodyPublishers.ofString("{}")).build();
            puts.add(http.sendAsync(put, HttpResponse.BodyHandlers.discarding())
                    .whenComplete((r, e) -> window.release()));
        }
        for (CompletableFuture<HttpResponse<Void>> put : puts) {
            assertEquals(201, put.join().statusCode());
        }
    }
}
