package dev.sluice.tenancy.redis;

import dev.sluice.tenancy.FakeClock;
import dev.sluice.tenancy.quota.FailPolicy;
import dev.sluice.tenancy.quota.QuotaPolicy;
import dev.sluice.tenancy.quota.Quotas;
import dev.sluice.tenancy.usage.DailyUsage;

import dev.sluice.tenancy.TenantUid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.embedded.RedisServer;
import redis.embedded.core.ExecutableProvider;

/**
 * The quotas with {@link RedisSettings#cluster()} against a real one-node Redis Cluster owning every slot: the same
 * scripts and Bucket4j buckets, addressed through Lettuce's cluster client.
 */
class QuotasOnRedisClusterTest {
    static final TenantUid ACME = TenantUid.of("acme");
    @TempDir
    static Path dir;
    static RedisServer node;
    static int port;

    @BeforeAll
    static void startOneNodeCluster() throws Exception {
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        node = RedisServer.newRedisServer()
                .executableProvider(ExecutableProvider.newJarResourceProvider())
                .bind("127.0.0.1").port(port)
                .setting("save \"\"").setting("appendonly no")
                .setting("cluster-enabled yes")
                .setting("cluster-config-file " + dir.resolve("nodes.conf"))
                .onShutdownForceStop(true)
                .build();
        node.start();
        RedisClient client = RedisClient.create("redis://127.0.0.1:" + port);
        try (StatefulRedisConnection<String, String> admin = client.connect()) {
            admin.sync().clusterAddSlots(IntStream.range(0, 16384).toArray());
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (!admin.sync().clusterInfo().contains("cluster_state:ok")) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("cluster not ok within 10 s: " + admin.sync().clusterInfo());
                }
                Thread.sleep(20); // the node settles its state on its own cron
            }
        } finally {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(1));
        }
    }

    @AfterAll
    static void stop() throws IOException {
        if (node != null) {
            node.stop();
        }
        Files.deleteIfExists(dir.resolve("nodes.conf"));
    }

    @Test
    void everyQuotaWorksThroughTheClusterClient() {
        FakeClock clock = FakeClock.atEpochDay();
        RedisSettings settings = new RedisSettings("redis://127.0.0.1:" + port, true, Duration.ofSeconds(1),
                FailPolicy.FAIL_CLOSED, 1, "cluster:");
        try (Quotas quotas = Quotas.redis(settings, clock, clock)) {
            assertTrue(quotas.rates().tryAcquire(ACME, QuotaPolicy.perMinute(1)).granted());
            assertFalse(quotas.rates().tryAcquire(ACME, QuotaPolicy.perMinute(1)).granted());

            var lease = quotas.concurrency().tryAcquire(ACME, 1, Duration.ofMinutes(1));
            assertTrue(lease.granted());
            assertFalse(quotas.concurrency().tryAcquire(ACME, 1, Duration.ofMinutes(1)).granted());

            assertEquals(600, quotas.fuel().reserve(ACME, 1_000, 400).remaining());

            quotas.usage().invocation(ACME, true, 5);
            quotas.flush();
            assertEquals(List.of(new DailyUsage(LocalDate.parse("2025-01-01"), 1, 1, 0, 5)),
                    quotas.usage().daily(ACME, 7));
            assertEquals(0, quotas.fallbacks() + quotas.refusals());
        }
    }

    @Test
    void theUsageSummaryReadsEachDayOnItsOwnWhereDaysLiveInDifferentSlots() {
        FakeClock clock = FakeClock.atEpochDay();
        RedisSettings settings = new RedisSettings("redis://127.0.0.1:" + port, true, Duration.ofSeconds(1),
                FailPolicy.FAIL_CLOSED, 1, "cluster-summary:");
        try (Quotas quotas = Quotas.redis(settings, clock, clock)) {
            TenantUid globex = TenantUid.of("globex");
            quotas.usage().invocation(ACME, true, 5);
            clock.advance(Duration.ofDays(1));
            quotas.usage().invocation(ACME, false, 7);
            quotas.usage().throttled(ACME);
            quotas.flush();

            var summary = quotas.usage().summary(List.of(ACME, globex), 2);
            assertEquals(new dev.sluice.tenancy.usage.UsageSummary.Totals(2, 1, 1, 12), summary.of(ACME));
            assertEquals(dev.sluice.tenancy.usage.UsageSummary.Totals.ZERO, summary.of(globex));
            assertEquals(new dev.sluice.tenancy.usage.UsageSummary.Totals(1, 0, 1, 7),
                    quotas.usage().summary(List.of(ACME), 1).of(ACME));
        }
    }
}
