package dev.sluice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.gateway.TestServer.Reply;
import dev.sluice.scheduler.testing.TestModules;
import dev.sluice.tenancy.testing.RedisTestServer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three gateways sharing one real Redis for tenancy and quotas, as a provider runs them behind a load balancer:
 * quotas hold across replicas, revocation reaches every gateway within a second, and when Redis goes away the fail
 * policy holds and nothing hangs.
 */
class SharedStoresTest {
    private static final int GATEWAYS = 3;
    private static final int QUOTA = 300;

    @TempDir
    Path dir;
    RedisTestServer redis;
    final List<TestServer> gateways = new ArrayList<>();

    @BeforeEach
    void startGatewaysOnOneRedis() {
        redis = RedisTestServer.start();
        for (int i = 0; i < GATEWAYS; i++) {
            gateways.add(TestServer.start(dir.resolve("gateway-" + i), Map.of(
                    "quota-store", "redis", "tenancy-store", "redis", "redis-uri", redis.uri(),
                    "redis-timeout-ms", "100", "quota-replicas", Integer.toString(GATEWAYS))));
        }
    }

    @AfterEach
    void stop() {
        gateways.forEach(TestServer::close);
        redis.close();
    }

    /** A tenant made on the first gateway, usable on all, with hello deployed once (functions are shared). */
    private String tenant(String name, String limits) {
        String key = gateways.getFirst().tenantWithKey(name, limits);
        Reply deployed = gateways.getLast().deploy(key, "hello", TestModules.load("hello"));
        assertEquals(201, deployed.status(), deployed.toString());
        return key;
    }

    private static Reply invoke(TestServer gateway, String key) {
        return gateway.call(key, "POST", "/v1/functions/hello/invoke", new byte[0], "text/plain");
    }

    /** Fires {@code attempts} invocations spread over every gateway from several threads; status to count. */
    private Map<Integer, Integer> hammer(String key, int attempts, AtomicLong slowestMillis) throws Exception {
        Map<Integer, Integer> statuses = new ConcurrentHashMap<>();
        AtomicInteger next = new AtomicInteger();
        try (ExecutorService threads = Executors.newFixedThreadPool(GATEWAYS * 4)) {
            List<Future<?>> running = new ArrayList<>();
            for (int t = 0; t < GATEWAYS * 4; t++) {
                running.add(threads.submit(() -> {
                    for (int i; (i = next.getAndIncrement()) < attempts; ) {
                        long started = System.nanoTime();
                        Reply reply = invoke(gateways.get(i % GATEWAYS), key);
                        slowestMillis.accumulateAndGet((System.nanoTime() - started) / 1_000_000, Math::max);
                        statuses.merge(reply.status(), 1, Integer::sum);
                    }
                }));
            }
            for (Future<?> future : running) {
                future.get();
            }
        }
        return statuses;
    }

    @Test
    void aQuotaHoldsWithinOnePercentAcrossThreeGatewaysDrivenAtFourTimesIt() throws Exception {
        String key = tenant("acme", "{\"invocations-per-minute\": " + QUOTA + ", \"requests-per-second\": 100000,"
                + " \"burst\": 100000}");
        Map<Integer, Integer> statuses = hammer(key, QUOTA * 4, new AtomicLong());
        int admitted = statuses.getOrDefault(200, 0);
        assertTrue(Math.abs(admitted - QUOTA) <= QUOTA / 100, "admitted " + admitted + " of " + QUOTA + ": " + statuses);
        // A Redis call slower than the 100 ms timeout fails alone (503), never served locally on top of Redis.
        assertEquals(QUOTA * 4, admitted + statuses.getOrDefault(429, 0) + statuses.getOrDefault(503, 0),
                statuses.toString());
        Reply refused = invoke(gateways.get(1), key);
        assertEquals("invocation-quota-exceeded", refused.problemType());
    }

    @Test
    void aKeyRevokedOnOneGatewayIsRefusedByTheOthersWithinOneSecond() throws Exception {
        String key = tenant("acme", "{}");
        for (TestServer gateway : gateways) {
            assertEquals(200, invoke(gateway, key).status());
        }
        String id = gateways.getFirst().admin("GET", "/admin/v1/tenants/acme/keys", null).json()
                .get("keys").get(0).get("id").asText();
        assertEquals(204, gateways.getFirst().admin("DELETE", "/admin/v1/tenants/acme/keys/" + id, null).status());
        long revoked = System.nanoTime();
        for (TestServer gateway : gateways) {
            while (invoke(gateway, key).status() != 401) {
                assertTrue(System.nanoTime() - revoked < 1_000_000_000L, "still accepted after one second");
                Thread.sleep(20);
            }
        }
    }

    @Test
    void withRedisGoneFailOpenServesWithinEachReplicasShareAndFailClosedRefusesFastNothingHangs() throws Exception {
        String open = tenant("acme", "{\"invocations-per-minute\": " + QUOTA + ", \"requests-per-second\": 100000,"
                + " \"burst\": 100000}");
        String closed = tenant("globex", "{\"quota-fail-policy\": \"fail-closed\"}");
        for (TestServer gateway : gateways) {
            assertEquals(200, invoke(gateway, open).status());
            assertEquals(200, invoke(gateway, closed).status());
        }

        redis.stop();

        AtomicLong slowest = new AtomicLong();
        Map<Integer, Integer> statuses = hammer(open, QUOTA * 2, slowest);
        int admitted = statuses.getOrDefault(200, 0);
        // Until a gateway's breaker opens (5 failed calls that are half of its recent calls), a failed call is
        // answered 503 alone rather than served locally; then it fails over.
        int failedAlone = statuses.getOrDefault(503, 0);
        assertTrue(failedAlone <= GATEWAYS * 10, "503 only until each breaker opens: " + statuses);
        assertEquals(QUOTA * 2, admitted + statuses.getOrDefault(429, 0) + failedAlone,
                "only 200, 429 or 503: " + statuses);
        assertTrue(admitted <= QUOTA, "each replica admits at most its share: " + statuses);
        assertTrue(admitted > 0, "fail-open keeps serving: " + statuses);
        assertTrue(slowest.get() < 2_000, "slowest call took " + slowest.get() + " ms");

        for (TestServer gateway : gateways) {
            long started = System.nanoTime();
            Reply refused = invoke(gateway, closed);
            assertEquals(503, refused.status(), refused.toString());
            assertEquals("quota-unavailable", refused.problemType());
            assertTrue(System.nanoTime() - started < 2_000_000_000L, "refused promptly");
        }
    }
}
