package dev.sluice.scheduler;

import dev.sluice.scheduler.redis.RedisFixture;
import dev.sluice.scheduler.redis.RedisFunctionIndex;
import dev.sluice.scheduler.redis.SchedulerRedis;
import dev.sluice.tenancy.testing.RedisTestServer;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;

/**
 * What the function index costs in Redis memory, against a real Redis on loopback: {@code TENANTS} tenants with
 * {@code PER_TENANT} functions each, every function its own module (the most references), committed through the
 * index's own scripts. Prints Redis {@code used_memory} growth per function. All function metadata shares one
 * Cluster slot (see {@link RedisFunctionIndex}), so this says how many functions one node holds. Not a test; see
 * docs/sandbox.md ("Shared functions") for the command.
 */
public final class SharedIndexFootprint {
    private static final int TENANTS = 1_000;
    private static final int PER_TENANT = 100;

    private SharedIndexFootprint() {}

    public static void main(String[] args) {
        try (RedisTestServer server = RedisTestServer.start(); RedisFixture redis = new RedisFixture(server)) {
            SchedulerRedis connection = redis.process();
            var index = RedisFunctionIndex.create(connection);
            long before = usedMemory(connection);
            Instant now = Instant.parse("2030-01-02T03:04:05.123Z");
            for (int t = 0; t < TENANTS; t++) {
                String tenant = UUID.randomUUID().toString(); // the shape of a tenant uid
                for (int i = 0; i < PER_TENANT; i++) {
                    String digest = Digests.sha256((tenant + i).getBytes(java.nio.charset.StandardCharsets.UTF_8));
                    String token = UUID.randomUUID().toString();
                    index.reserve(digest, token, Duration.ofMinutes(5));
                    index.commit(new FunctionSpec(tenant, FunctionName.of("function-" + i), digest, 12_345, 16,
                            1_000, now, 1_000_000), token, 0);
                }
            }
            long functions = (long) TENANTS * PER_TENANT;
            long grown = usedMemory(connection) - before;
            System.out.printf("%d functions (%d tenants, one module each): used_memory +%d bytes, %d bytes per"
                    + " function%n", functions, TENANTS, grown, grown / functions);
        }
    }

    private static long usedMemory(SchedulerRedis connection) {
        String info = connection.call("info", r -> r.info("memory"));
        return info.lines().filter(l -> l.startsWith("used_memory:")).mapToLong(l -> Long.parseLong(l.substring(12)
                .trim())).findFirst().orElseThrow();
    }
}
