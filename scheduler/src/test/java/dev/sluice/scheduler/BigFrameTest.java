package dev.sluice.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sluice.scheduler.SchedulerException.InvocationFailed;
import dev.sluice.scheduler.SchedulerException.InvocationFailed.Kind;
import dev.sluice.scheduler.testing.TestModules;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reviewer's big leaf: 20 000 calls to a function of 49 991 parameters and locals took ~5.5 s of interpreter
 * time for 300 110 fuel (5 per call). Frames are now charged, 12 481 per call, so ten times that old total runs out
 * after a few hundred calls.
 */
class BigFrameTest {
    @TempDir
    Path dataDir;

    @Test
    void callsToAHugeFrameExhaustABudgetThatOnlyPaidForTheirInstructions() {
        var settings = new SchedulerSettings(2, 1, 8, 64 << 10, 4 << 10, 2L << 20);
        try (var scheduler = LocalScheduler.open(settings, dataDir, InstantSource.fixed(Instant.EPOCH))) {
            long budget = 10 * 300_110L;
            var spec = scheduler.functions().deploy(new DeployRequest("tenant", FunctionName.of("big-leaf"),
                    TestModules.load("big-leaf"), 16, 60_000, 1 << 20, budget)).spec();
            var e = assertThrows(InvocationFailed.class, () -> scheduler.dispatcher().invoke(spec,
                    new InvocationRequest(new byte[0], List.of(), Map.of())));
            assertEquals(Kind.FUEL_EXHAUSTED, e.kind(), e::getMessage);
            assertEquals(budget, e.fuelUsed());
        }
    }
}
