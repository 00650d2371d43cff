package dev.sluice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.gateway.MetricsTest.Exposition;
import dev.sluice.gateway.TestServer.Reply;
import dev.sluice.gateway.metrics.SluiceMetrics;
import dev.sluice.scheduler.testing.TestModules;
import dev.sluice.tenancy.testing.RedisCommandStats;
import dev.sluice.tenancy.testing.RedisTestServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Redis command metrics against a real Redis: every command the gateway sent (tenancy, quotas and the function
 * registry alike) is in its {@code command} histogram exactly as often as Redis itself counted it, the labels are
 * command names from a fixed set and nothing else, and a Redis that went away shows as failures.
 */
class RedisMetricsTest {
    @TempDir
    Path dir;
    RedisTestServer redis;
    TestServer server;

    @BeforeEach
    void start() {
        redis = RedisTestServer.start();
        server = TestServer.start(dir, Map.of("quota-store", "redis", "tenancy-store", "redis",
                "redis-uri", redis.uri(), "redis-timeout-ms", "500"));
    }

    @AfterEach
    void stop() {
        server.close();
        redis.close();
    }

    @Test
    void everyCommandIsTimedAsOftenAsRedisCountedItAndAnOutageShowsAsFailures() throws Exception {
        String key = server.tenantWithKey("acme-redis", "{}");
        assertEquals(201, server.deploy(key, "greeter", TestModules.load("hello")).status());
        for (int i = 0; i < 3; i++) {
            Reply ok = server.call(key, "POST", "/v1/functions/greeter/invoke", new byte[0], "text/plain");
            assertEquals(200, ok.status(), ok.toString());
        }
        RedisClient client = RedisClient.create(redis.uri());
        try (StatefulRedisConnection<String, String> inspection = client.connect()) {
            // Scripts are what a script cannot call, so Redis's own count of them is exactly what the gateway sent
            // (Redis also counts the commands a script runs, so other commands' counts include those). Redis counts
            // a command before the gateway's client hears its answer: compare until both agree.
            long deadline = System.nanoTime() + 20_000_000_000L;
            long sent;
            long counted;
            Exposition metrics;
            while (true) {
                String info = inspection.sync().info("commandstats");
                metrics = scrape();
                sent = 0;
                for (String script : new String[] {"eval", "evalsha"}) {
                    sent += metrics.value("sluice_redis_command_duration_seconds_count", "command", script)
                            + metrics.value("sluice_redis_command_failures_total", "command", script);
                }
                counted = RedisCommandStats.calls(info, "eval") + RedisCommandStats.calls(info, "evalsha");
                if (sent == counted || System.nanoTime() > deadline) {
                    break;
                }
                Thread.sleep(50);
            }
            assertEquals(counted, sent, "scripts the gateway timed or saw fail, against Redis's own count");
            assertTrue(sent >= 3, "each invocation's quota check is a script: " + sent);
            String info = inspection.sync().info("commandstats");
            for (Exposition.Sample sample : metrics.samples()) {
                if (sample.name().equals("sluice_redis_command_duration_seconds_count")) {
                    String command = sample.labels().get("command");
                    assertEquals(Map.of("command", command), sample.labels());
                    assertTrue(SluiceMetrics.REDIS_COMMANDS.contains(command) || command.equals("other"), command);
                    assertTrue(command.equals("other") || sample.value() <= RedisCommandStats.calls(info, command),
                            command + ": timed more often than Redis ran it");
                }
            }
        } finally {
            client.shutdown();
        }
        String text = server.admin("GET", "/metrics", null).body();
        assertFalse(text.contains("greeter"), "no function name");
        assertFalse(text.contains(redis.uri()), "no Redis address");
        Promtool.accepts(text, dir);

        long failedBefore = scrape().sum("sluice_redis_command_failures_total");
        redis.stop();
        // The rate check cannot reach Redis: the call follows the fail policy, and the failed command is counted.
        server.call(key, "POST", "/v1/functions/greeter/invoke", new byte[0], "text/plain");
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (scrape().sum("sluice_redis_command_failures_total") == failedBefore && System.nanoTime() < deadline) {
            Thread.sleep(50); // Lettuce tells its listener on its own thread, maybe after the caller saw the failure
        }
        assertTrue(scrape().sum("sluice_redis_command_failures_total") > failedBefore,
                "a command failed while Redis was away");
    }

    private Exposition scrape() {
        Reply scraped = server.admin("GET", "/metrics", null);
        assertEquals(200, scraped.status(), scraped.toString());
        return Exposition.parse(scraped.body());
    }
}
