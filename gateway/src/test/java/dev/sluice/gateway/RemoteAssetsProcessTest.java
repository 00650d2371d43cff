package dev.sluice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.scheduler.redis.RedisFixture;
import dev.sluice.scheduler.testing.TestModules;
import dev.sluice.tenancy.testing.RedisTestServer;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Function assets in the distributed set-up as an operator runs it: two {@code sluice gateway} processes and one
 * {@code sluice worker} process on one real Redis, configured with nothing between them but the Redis URI and the
 * worker secret. Assets uploaded through gateway A are in the function's record (seen through B) and in the shared
 * module store, from which the worker fetches the tree by digest into its own data directory; the guest
 * (files-wagi.c) reads them there. Removed through A, B no longer serves them, the guest sees no {@code /assets}, and
 * the tree is gone from the shared store (no function names it any more).
 * Another tenant's key sees none of it (404), no key gets 401.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class RemoteAssetsProcessTest {
    private static final String SECRET = RemoteDispatchTest.SECRET;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String LIMITS = "{\"max-asset-bytes\": 1048576, \"scratch-bytes\": 65536,"
            + " \"scratch-inodes\": 64}";

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

    private GatewayProcess start(String role, String name, Map<String, String> extra) {
        Map<String, String> settings = new HashMap<>(Map.of("worker-secret", SECRET, "worker-discovery", "redis",
                "tenancy-store", "redis", "quota-store", "redis", "redis-uri", redis.uri(),
                "worker-heartbeat-ms", "200"));
        settings.putAll(extra);
        GatewayProcess process = GatewayProcess.launch(role, name, dir.resolve(name), settings,
                GatewayProcess.SMALL_JVM);
        processes.add(process);
        return process;
    }

    private HttpResponse<String> send(GatewayProcess gateway, String method, String path, String bearer,
                                      String contentType, byte[] body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(gateway.uri(path)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", contentType).method(method, HttpRequest.BodyPublishers.ofByteArray(body));
        if (bearer != null) {
            request.header("Authorization", "Bearer " + bearer);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> assets(GatewayProcess gateway, String method, String key, byte[] tar)
            throws Exception {
        return send(gateway, method, "/v1/functions/site/assets", key, "application/x-tar", tar);
    }

    private String tenant(GatewayProcess gateway, String tenant) throws Exception {
        String admin = GatewayProcess.ADMIN_TOKEN;
        assertEquals(201, send(gateway, "PUT", "/admin/v1/tenants/" + tenant, admin, "application/json",
                LIMITS.getBytes()).statusCode());
        return JSON.readTree(send(gateway, "POST", "/admin/v1/tenants/" + tenant + "/keys", admin,
                "application/json", "{\"name\":\"k\"}".getBytes()).body()).get("key").asText();
    }

    /** Until {@code done} holds: B reads a function again at most a quarter second after the change elsewhere. */
    private HttpResponse<String> until(Predicate<HttpResponse<String>> done, ThrowingCall call) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        HttpResponse<String> reply;
        while (!done.test(reply = call.send()) && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        return reply;
    }

    @FunctionalInterface
    private interface ThrowingCall {
        HttpResponse<String> send() throws Exception;
    }

    @Test
    void assetsUploadedThroughOneGatewayAreServedByTheOtherAndReadByTheGuestOnTheWorker() throws Exception {
        redis = RedisTestServer.start();
        GatewayProcess worker = start("worker", "worker", Map.of("worker-port", "0", "worker-id", "w",
                "workers", "2"));
        GatewayProcess a = start("gateway", "gateway-a", Map.of("port", "0"));
        GatewayProcess b = start("gateway", "gateway-b", Map.of("port", "0"));
        for (GatewayProcess process : processes) {
            process.awaitPort(Duration.ofSeconds(180));
        }
        String key = tenant(a, "acme");
        String other = tenant(a, "other");
        HttpResponse<String> deployed = send(a, "PUT", "/v1/functions/site", key, "application/wasm",
                TestModules.load("files-wagi"));
        assertEquals(201, deployed.statusCode(), deployed.body());

        byte[] tar = TestTars.create().file("greeting.txt", "hello through A").bytes();
        HttpResponse<String> uploaded = assets(a, "PUT", key, tar);
        assertEquals(200, uploaded.statusCode(), uploaded.body() + "\n" + a.output());
        JsonNode tree = JSON.readTree(uploaded.body());
        HttpResponse<String> seen = until(r -> r.statusCode() == 200, () -> assets(b, "GET", key, new byte[0]));
        assertEquals(200, seen.statusCode(), seen.body());
        assertEquals(tree, JSON.readTree(seen.body()), "B shows the record A wrote: digest, path, writable");
        assertEquals("/assets", tree.get("path").asText());

        // B knows the worker once it has read its heartbeat (503 overloaded until then: nothing ran).
        HttpResponse<String> call = until(r -> r.statusCode() != 503,
                () -> send(b, "GET", "/v1/functions/site/invoke?tour", key, "text/plain", new byte[0]));
        assertEquals(200, call.statusCode(), call.body() + "\n" + b.output());
        assertTrue(call.body().contains("list /assets: greeting.txt\n"), call.body());
        assertTrue(call.body().contains("read /assets/greeting.txt: hello through A\n"), call.body());
        assertTrue(call.body().contains("fill /tmp: 15 files of 4096 bytes, then errno 51\n"), call.body());
        String hex = tree.get("digest").asText().substring("sha256:".length());
        assertTrue(Files.isDirectory(dir.resolve("worker/data/assets").resolve(hex)),
                "the worker fetched the tree into its own data directory");
        assertFalse(Files.exists(dir.resolve("gateway-b/data/assets").resolve(hex)), "B never needed it");
        String shared = "sluice:module:{" + tree.get("digest").asText() + "}";
        try (RedisFixture raw = new RedisFixture(redis, "sluice:")) {
            assertTrue(raw.keys().contains(shared), "the tree is in the shared store: " + raw.keys());
        }

        // Another tenant's key: the function does not exist for it. No key at all: 401.
        for (String method : List.of("PUT", "GET", "DELETE")) {
            for (GatewayProcess gateway : List.of(a, b)) {
                HttpResponse<String> foreign = assets(gateway, method, other, tar);
                assertEquals(404, foreign.statusCode(), method + " " + foreign.body());
                assertTrue(foreign.body().contains("not-found"), foreign.body());
                assertEquals(401, assets(gateway, method, null, tar).statusCode(), method);
            }
        }
        assertEquals(tree, JSON.readTree(assets(b, "GET", key, new byte[0]).body()), "unchanged by them");

        assertEquals(204, assets(a, "DELETE", key, new byte[0]).statusCode());
        HttpResponse<String> gone = until(r -> r.statusCode() == 404, () -> assets(b, "GET", key, new byte[0]));
        assertEquals(404, gone.statusCode(), gone.body());
        HttpResponse<String> without = until(r -> r.body().contains("list /assets: errno 76"),
                () -> send(b, "GET", "/v1/functions/site/invoke?tour", key, "text/plain", new byte[0]));
        assertTrue(without.body().contains("list /assets: errno 76\n"), "no /assets preopened: " + without.body());
        assertTrue(without.body().contains("left.txt after: present\n"), "scratch space stays: " + without.body());
        try (RedisFixture raw = new RedisFixture(redis, "sluice:")) {
            assertFalse(raw.keys().stream().anyMatch(k -> k.contains(hex)),
                    "no function names the tree any more: gone from the shared store, its references too");
        }
        for (GatewayProcess process : processes) {
            assertFalse(process.errors().contains("SEVERE"), process.name + ":\n" + process.errors());
        }
    }
}
