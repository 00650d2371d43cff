package dev.sluice.scheduler;

import dev.sluice.scheduler.redis.RedisFixture;
import dev.sluice.scheduler.redis.RedisFunctionIndex;
import dev.sluice.scheduler.redis.RedisModuleStore;
import dev.sluice.scheduler.redis.SchedulerRedis;
import dev.sluice.scheduler.testing.TestModules;
import dev.sluice.tenancy.testing.RedisTestServer;
import java.time.InstantSource;
import java.util.Arrays;
import java.util.Optional;

/**
 * What a function lookup costs with shared functions, against a real Redis on loopback: one index read (HGET and
 * JSON) and a lookup served by the registry's quarter-second read cache. Prints p50/p99/max in microseconds of
 * {@code N} sequential lookups after a warm-up. Not a test; see docs/sandbox.md ("Shared functions") for the command.
 */
public final class SharedFindTiming {
    private static final int N = 20_000;

    private SharedFindTiming() {}

    public static void main(String[] args) {
        try (RedisTestServer server = RedisTestServer.start(); RedisFixture redis = new RedisFixture(server)) {
            SchedulerRedis connection = redis.process();
            var index = RedisFunctionIndex.create(connection);
            FunctionRegistry registry = new SharedFunctionRegistry(index, RedisModuleStore.create(connection),
                    new ModuleValidator(WasiImports.create()), Optional.empty(), InstantSource.system(), 0,
                    System::nanoTime);
            FunctionName name = FunctionName.of("hello");
            registry.deploy(new DeployRequest("acme", name, TestModules.load("hello"), 16, 1_000, 1 << 20, 1_000_000));
            report("index read (HGET + JSON)", () -> index.find("acme", name));
            report("registry find (cached)", () -> registry.find("acme", name));
        }
    }

    private static void report(String what, Runnable lookup) {
        for (int i = 0; i < N; i++) {
            lookup.run(); // warm-up
        }
        long[] micros = new long[N];
        for (int i = 0; i < N; i++) {
            long started = System.nanoTime();
            lookup.run();
            micros[i] = (System.nanoTime() - started) / 1_000;
        }
        Arrays.sort(micros);
        System.out.printf("%-28s p50 %5d us  p99 %5d us  max %6d us  (%d lookups, %d cores)%n", what, micros[N / 2],
                micros[N * 99 / 100], micros[N - 1], N, Runtime.getRuntime().availableProcessors());
    }
}
