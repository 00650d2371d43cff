package dev.sluice.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sluice.scheduler.fuel.FuelCosts;
import dev.sluice.scheduler.testing.TestModules;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reviewer's poll spin: 5 000 polls of 4 096 ready subscriptions held a worker ~400 ms for 689 324 fuel, a
 * flat 100 per poll. Each subscription now costs {@link FuelCosts#POLL_PER_SUBSCRIPTION}, exactly.
 */
class PollSubscriptionCostTest {
    @TempDir
    Path dataDir;

    @Test
    void everySubscriptionOfAPollCostsFuel() {
        var settings = new SchedulerSettings(2, 1, 8, 64 << 10, 4 << 10, 2L << 20);
        try (var scheduler = LocalScheduler.open(settings, dataDir, InstantSource.fixed(Instant.EPOCH))) {
            var spec = scheduler.functions().deploy(new DeployRequest("tenant", FunctionName.of("poll-spin"),
                    TestModules.load("poll-spin"), 16, 60_000, 1 << 20, 1L << 40)).spec();
            var result = scheduler.dispatcher().invoke(spec, new InvocationRequest(new byte[0], List.of(), Map.of()));
            assertEquals(0, result.exitCode());
            assertEquals(689_324 + 5_000L * 4_096 * FuelCosts.POLL_PER_SUBSCRIPTION, result.fuelUsed());
        }
    }
}
